export { status } from "@grpc/grpc-js";
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
export {
  type BreakerState,
  createDependencyBreaker,
  type DependencyBreaker,
  type DependencyBreakerOptions,
} from "./client-breaker.ts";
export { EncodedMessage } from "./encoded-message.ts";
export {
  DATABASE_UNAVAILABLE_MESSAGE,
  ERROR_DETAIL_METADATA_KEY,
  errorDetailFrom,
  type GrpcStatus,
  INTERNAL_ERROR_MESSAGE,
  toGrpcStatus,
} from "./error-status.ts";
export { HEALTH_SERVICE_NAME, reflectionPackageDefinition } from "./reflection.ts";
export { createGrpcServer, type GrpcServer, type GrpcServerOptions } from "./server.ts";
export { methodPath, serviceDefinition } from "./service-definition.ts";
export type { MethodImpl, ServiceImpl, ServicePolicy } from "./service-types.ts";
export { installSignalHandlers, type SignalHandlerOptions } from "./signals.ts";
