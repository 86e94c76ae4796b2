// A registry per service (not prom-client's global one) so tests and in-process servers never collide.
// The process is named by the default label "app": "service" is taken by the RPC metrics for the gRPC
// service name, and a metric's own label would silently override a default label of the same name.
import { collectDefaultMetrics, Registry } from "prom-client";

export interface CreateMetricsRegistryOptions {
  readonly service: string;
  /** Extra labels on every series, e.g. { version }. */
  readonly defaultLabels?: Record<string, string>;
  /** Node process metrics (event loop lag, heap, GC); on by default. */
  readonly collectDefaults?: boolean;
}

export function createMetricsRegistry(options: CreateMetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: options.service, ...options.defaultLabels });
  if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
