export { Counter, Gauge, Histogram, type Registry } from "prom-client";
export { type BuildInfo, buildInfoFromEnv, registerBuildInfo } from "./build-info.ts";
export { type MetricsServer, type StartMetricsServerOptions, startMetricsServer } from "./metrics-server.ts";
export { type PoolCounts, registerPoolMetrics } from "./pool-metrics.ts";
export { type CreateMetricsRegistryOptions, createMetricsRegistry } from "./registry.ts";
export {
  createRpcMetrics,
  observeRpc,
  observeRpcStart,
  RPC_LATENCY_BUCKETS,
  type RpcCall,
  type RpcMetrics,
  type RpcObservation,
} from "./rpc-metrics.ts";
