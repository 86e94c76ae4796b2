// RPC rate, errors and latency. Names and labels match the Grafana dashboards and alert rules.
import { Counter, Histogram, type Registry } from "prom-client";

export interface RpcMetrics {
  observe(service: string, method: string, code: string, seconds: number): void;
}

const HANDLED = "grpc_server_handled_total";
const HANDLING = "grpc_server_handling_seconds";

// Get-or-create so two servers (or the metrics package) sharing one registry do not collide.
export function createRpcMetrics(registry: Registry): RpcMetrics {
  const handled =
    (registry.getSingleMetric(HANDLED) as Counter<"service" | "method" | "code"> | undefined) ??
    new Counter({
      name: HANDLED,
      help: "RPCs completed on the server, by status code.",
      labelNames: ["service", "method", "code"],
      registers: [registry],
    });
  const handling =
    (registry.getSingleMetric(HANDLING) as Histogram<"service" | "method"> | undefined) ??
    new Histogram({
      name: HANDLING,
      help: "Time from receiving an RPC to sending its status, in seconds.",
      labelNames: ["service", "method"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return {
    observe(service, method, code, seconds) {
      handled.inc({ service, method, code });
      handling.observe({ service, method }, seconds);
    },
  };
}
