// A registry per service (not prom-client's global one) so tests and in-process servers never collide.
// The process is named by the default label "app": "service" is taken by the RPC metrics for the gRPC
// service name, and a metric's own label would silently override a default label of the same name.
import { collectDefaultMetrics, Registry } from "prom-client";
import { type BuildInfo, registerBuildInfo } from "./build-info.ts";

export interface CreateMetricsRegistryOptions {
  readonly service: string;
  /** Extra labels on every series, e.g. { version }. */
  readonly defaultLabels?: Record<string, string>;
  /** Node process metrics (event loop lag, heap, GC); on by default. */
  readonly collectDefaults?: boolean;
  /** build_info's labels; default from STOCKROOM_VERSION and STOCKROOM_COMMIT. */
  readonly build?: BuildInfo;
}

export function createMetricsRegistry(options: CreateMetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: options.service, ...options.defaultLabels });
  if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry });
  registerBuildInfo(registry, options.build);
  return registry;
}
