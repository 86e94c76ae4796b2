export { status } from "@grpc/grpc-js";
export { type ApiServers, type ApiServersOptions, startApiServers } from "./api-servers.ts";
export {
  bearerTokenFrom,
  type CallContext,
  requestIdFrom,
  traceFrom,
} from "./call-context.ts";
export {
  type CallOptions,
  type ClientOptions,
  createClient,
  GrpcCallError,
  isGrpcCallError,
  type RetryOptions,
  type TypedClient,
} from "./client.ts";
export { type ConnectClientOptions, createConnectClient } from "./connect-client.ts";
export { grpcCallErrorFrom, toConnectError } from "./connect-error.ts";
export { type ConnectServer, type ConnectServerOptions, createConnectServer } from "./connect-server.ts";
export { EncodedMessage } from "./encoded-message.ts";
export {
  DATABASE_UNAVAILABLE_MESSAGE,
  ERROR_DETAIL_METADATA_KEY,
  ERROR_DOMAIN,
  errorDetailFrom,
  type GrpcStatus,
  INTERNAL_ERROR_MESSAGE,
  reasonName,
  STATUS_DETAILS_METADATA_KEY,
  type StatusDetails,
  statusDetailsFrom,
  toGrpcStatus,
} from "./error-status.ts";
export { HEALTH_SERVICE_NAME, reflectionPackageDefinition } from "./reflection.ts";
export { createGrpcServer, type GrpcServer, type GrpcServerOptions } from "./server.ts";
export { methodPath, serviceDefinition } from "./service-definition.ts";
export type { MethodImpl, ServiceImpl, ServicePolicy } from "./service-types.ts";
export { installSignalHandlers, type SignalHandlerOptions } from "./signals.ts";
export {
  durationInput,
  MAX_DURATION_SECONDS,
  MAX_TIMESTAMP_SECONDS,
  MIN_TIMESTAMP_SECONDS,
  timestampInput,
} from "./well-known-input.ts";
