// Server reflection for grpcurl, buf curl and other tools. @grpc/reflection reads a proto-loader style
// package definition; we feed it FileDescriptorProtos serialized from the protobuf-es descriptors of
// every registered service, the health service (vendored in proto/grpc/health/v1) and their imports.
import { type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Server } from "@grpc/grpc-js";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { Health } from "@stockroom/proto/grpc/health/v1/health_pb.js";

export const HEALTH_SERVICE_NAME = Health.typeName;

function collectFiles(file: DescFile, into: Map<string, DescFile>): void {
  if (into.has(file.name)) return;
  into.set(file.name, file);
  for (const dependency of file.dependencies) collectFiles(dependency, into);
}

export function reflectionPackageDefinition(services: readonly DescService[]): PackageDefinition {
  const described = [...services, Health];
  const files = new Map<string, DescFile>();
  for (const service of described) collectFiles(service.file, files);
  const fileDescriptorProtos = [...files.values()].map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  // Every entry carries the full file set; the reflection service dedupes files by name.
  const definition: PackageDefinition = {};
  for (const service of described) {
    definition[service.typeName] = {
      format: "Protocol Buffer 3 DescriptorProto",
      type: {},
      fileDescriptorProtos,
    };
  }
  return definition;
}

export function addReflection(server: Server, services: readonly DescService[]): void {
  new ReflectionService(reflectionPackageDefinition(services)).addToServer(server);
}
