// Builds grpc-js service definitions straight from protobuf-es descriptors, so the generated code is
// the only description of a service (no proto-loader at run time for our own services).
import { create, type DescMethod, type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { EncodedMessage } from "./encoded-message.ts";

export function methodPath(service: DescService, method: DescMethod): string {
  return `/${service.typeName}/${method.name}`;
}

export function methodDefinition(
  service: DescService,
  method: DescMethod,
): MethodDefinition<unknown, unknown> {
  return {
    path: methodPath(service, method),
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    // create() accepts both plain init objects and messages, so callers may pass either.
    requestSerialize: (value) => bufferOf(toBinary(method.input, create(method.input, value as never))),
    requestDeserialize: (bytes) => fromBinary(method.input, bytes),
    responseSerialize: (value) => {
      if (value instanceof EncodedMessage) {
        if (value.schema.typeName !== method.output.typeName) {
          throw new Error(`${method.name} answers ${method.output.typeName}, not ${value.schema.typeName}`);
        }
        return value.bytes;
      }
      return bufferOf(toBinary(method.output, create(method.output, value as never)));
    },
    responseDeserialize: (bytes) => fromBinary(method.output, bytes),
    originalName: method.localName,
  };
}

// grpc-js wants a Buffer; a view of the encoder's bytes, not a copy of them.
function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// Keyed by local name, like the implementation object.
export function serviceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) definition[method.localName] = methodDefinition(service, method);
  return definition;
}
