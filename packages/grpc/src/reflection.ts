// Server reflection and health for grpcurl, buf curl and Kubernetes gRPC probes. @grpc/reflection
// reads a proto-loader style package definition; we feed it FileDescriptorProtos serialized from the
// protobuf-es descriptors (plus the health service's own proto).
import { type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Server } from "@grpc/grpc-js";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoPath as healthProtoPath } from "grpc-health-check";

export const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";

function collectFiles(file: DescFile, into: Map<string, DescFile>): void {
  if (into.has(file.name)) return;
  into.set(file.name, file);
  for (const dependency of file.dependencies) collectFiles(dependency, into);
}

export function reflectionPackageDefinition(services: readonly DescService[]): PackageDefinition {
  const files = new Map<string, DescFile>();
  for (const service of services) collectFiles(service.file, files);
  const fileDescriptorProtos = [...files.values()].map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  const definition: PackageDefinition = {};
  // Every entry carries the full file set; the reflection service dedupes files by name.
  for (const service of services)
    definition[service.typeName] = {
      format: "Protocol Buffer 3 DescriptorProto",
      type: {},
      fileDescriptorProtos,
    };
  const healthDefinition = loadSync(healthProtoPath, { keepCase: true });
  return { ...healthDefinition, ...definition };
}

export function addReflection(server: Server, services: readonly DescService[]): void {
  new ReflectionService(reflectionPackageDefinition(services)).addToServer(server);
}
