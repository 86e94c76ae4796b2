// RPC rate, errors and latency for every gRPC server; the grpc package records into these via observeRpc.
import { Counter, Histogram, type Registry } from "prom-client";

type RpcLabel = "service" | "method" | "code";

export interface RpcMetrics {
  readonly handled: Counter<RpcLabel>;
  readonly handlingSeconds: Histogram<Exclude<RpcLabel, "code">>;
}

export interface RpcObservation {
  /** Fully qualified gRPC service, e.g. "stockroom.warehouse.v1.StockService". */
  readonly service: string;
  readonly method: string;
  /** Status code name, e.g. "OK", "FAILED_PRECONDITION". */
  readonly code: string;
  readonly seconds: number;
}

const HANDLED = "grpc_server_handled_total";
const HANDLING = "grpc_server_handling_seconds";

export const RPC_LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

// Get-or-create: the grpc package's server registers the same two metrics (same names, labels, buckets) on
// the registry it is given, and prom-client refuses a second registration of a name.
export function createRpcMetrics(registry: Registry): RpcMetrics {
  const handled =
    (registry.getSingleMetric(HANDLED) as Counter<RpcLabel> | undefined) ??
    new Counter({
      name: HANDLED,
      help: "RPCs completed on the server, by status code.",
      labelNames: ["service", "method", "code"],
      registers: [registry],
    });
  const handlingSeconds =
    (registry.getSingleMetric(HANDLING) as Histogram<Exclude<RpcLabel, "code">> | undefined) ??
    new Histogram({
      name: HANDLING,
      help: "Time from receiving an RPC to sending its status, in seconds.",
      labelNames: ["service", "method"],
      buckets: [...RPC_LATENCY_BUCKETS],
      registers: [registry],
    });
  return { handled, handlingSeconds };
}

export function observeRpc(metrics: RpcMetrics, observation: RpcObservation): void {
  const { service, method, code, seconds } = observation;
  metrics.handled.inc({ service, method, code });
  metrics.handlingSeconds.observe({ service, method }, seconds);
}
