// Hit ratio, fallbacks and breaker state of every versioned cache, labelled by cache name.
import { Counter, Gauge, type Registry } from "prom-client";

export type CacheOutcome = "local" | "hit" | "miss" | "fallback";
export type BreakerState = "closed" | "half_open" | "open";

const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export interface CacheMetrics {
  request(outcome: CacheOutcome): void;
  writeRefused(): void;
  breakerState(state: BreakerState): void;
}

const byRegistry = new WeakMap<Registry, { requests: Counter; refused: Counter; breaker: Gauge }>();

function metricsOf(registry: Registry) {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {
      requests: new Counter({
        name: "cache_requests_total",
        help: "Cache reads by outcome: local (process memory), hit (Redis), miss (loaded and stored), fallback (Redis unavailable, loaded)",
        labelNames: ["cache", "outcome"],
        registers: [registry],
      }),
      refused: new Counter({
        name: "cache_stale_writes_refused_total",
        help: "Cache writes refused because Redis already held a newer version",
        labelNames: ["cache"],
        registers: [registry],
      }),
      breaker: new Gauge({
        name: "cache_breaker_state",
        help: "Circuit breaker around Redis: 0 closed, 1 half-open, 2 open",
        labelNames: ["cache"],
        registers: [registry],
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

export function createCacheMetrics(registry: Registry | undefined, cache: string): CacheMetrics {
  if (!registry) return { request() {}, writeRefused() {}, breakerState() {} };
  const metrics = metricsOf(registry);
  // Present at 0 from the start, so the first one shows in increase().
  metrics.refused.inc({ cache }, 0);
  for (const outcome of ["local", "hit", "miss", "fallback"]) metrics.requests.inc({ cache, outcome }, 0);
  return {
    request: (outcome) => metrics.requests.inc({ cache, outcome }),
    writeRefused: () => metrics.refused.inc({ cache }),
    breakerState: (state) => metrics.breaker.set({ cache }, BREAKER_STATE_VALUE[state]),
  };
}
