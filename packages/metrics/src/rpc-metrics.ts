// RPC rate, errors, latency and in-flight calls for every gRPC server; the grpc package records into these
// via observeRpcStart and observeRpc. Label names are those of go-grpc-prometheus (grpc_service,
// grpc_method, grpc_code), so the common gRPC dashboards and alerts work unchanged; in flight is
// grpc_server_started_total - grpc_server_handled_total.
import { Counter, Histogram, type Registry } from "prom-client";

type MethodLabel = "grpc_service" | "grpc_method";
type RpcLabel = MethodLabel | "grpc_code";

export interface RpcMetrics {
  readonly started: Counter<MethodLabel>;
  readonly handled: Counter<RpcLabel>;
  readonly handlingSeconds: Histogram<MethodLabel>;
}

export interface RpcCall {
  /** Fully qualified gRPC service, e.g. "stockroom.warehouse.v1.StockService". */
  readonly service: string;
  readonly method: string;
}

export interface RpcObservation extends RpcCall {
  /** Status code name, e.g. "OK", "FAILED_PRECONDITION". */
  readonly code: string;
  readonly seconds: number;
}

const STARTED = "grpc_server_started_total";
const HANDLED = "grpc_server_handled_total";
const HANDLING = "grpc_server_handling_seconds";

export const RPC_LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

// Get-or-create: the grpc package's server registers the same metrics (same names, labels, buckets) on
// the registry it is given, and prom-client refuses a second registration of a name.
export function createRpcMetrics(registry: Registry): RpcMetrics {
  const started =
    (registry.getSingleMetric(STARTED) as Counter<MethodLabel> | undefined) ??
    new Counter({
      name: STARTED,
      help: "RPCs started on the server (in flight: started - handled).",
      labelNames: ["grpc_service", "grpc_method"],
      registers: [registry],
    });
  const handled =
    (registry.getSingleMetric(HANDLED) as Counter<RpcLabel> | undefined) ??
    new Counter({
      name: HANDLED,
      help: "RPCs completed on the server, by status code.",
      labelNames: ["grpc_service", "grpc_method", "grpc_code"],
      registers: [registry],
    });
  const handlingSeconds =
    (registry.getSingleMetric(HANDLING) as Histogram<MethodLabel> | undefined) ??
    new Histogram({
      name: HANDLING,
      help: "Time from receiving an RPC to sending its status, in seconds.",
      labelNames: ["grpc_service", "grpc_method"],
      buckets: [...RPC_LATENCY_BUCKETS],
      registers: [registry],
    });
  return { started, handled, handlingSeconds };
}

export function observeRpcStart(metrics: RpcMetrics, call: RpcCall): void {
  metrics.started.inc({ grpc_service: call.service, grpc_method: call.method });
}

export function observeRpc(metrics: RpcMetrics, observation: RpcObservation): void {
  const { service, method, code, seconds } = observation;
  metrics.handled.inc({ grpc_service: service, grpc_method: method, grpc_code: code });
  metrics.handlingSeconds.observe({ grpc_service: service, grpc_method: method }, seconds);
}
