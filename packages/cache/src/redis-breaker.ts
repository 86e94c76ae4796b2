// The circuit breaker every Redis call of a versioned cache goes through: each call times out fast
// (withinTimeout), failures open the breaker, and an open breaker fails calls at once so reads fall back
// to the loader instead of waiting on a slow or dead Redis. It opens on a run of consecutive failures as
// well as on opossum's error rate: after many hits the rate stays under its threshold through a whole
// outage, and every read would pay the timeout.
import { ReplyError } from "ioredis";
import CircuitBreaker from "opossum";
import type { BreakerState, CacheMetrics } from "./cache-metrics.ts";
import { withinTimeout } from "./loop-tolerant-timeout.ts";

export interface CacheBreakerOptions {
  /**
   * How long a Redis call may take before the read falls back to the loader (and the breaker counts a
   * failure). Measured by the event loop's clock, but a reply that arrived while the loop itself was late
   * (a stall, a busy CPU) is taken, not thrown away: see withinTimeout.
   */
  readonly timeoutMs: number;
  readonly errorThresholdPercentage: number;
  /** Failures needed in the rolling window before the breaker may open. */
  readonly volumeThreshold: number;
  /** How long the breaker stays open before letting one call probe Redis. */
  readonly resetTimeoutMs: number;
  readonly rollingCountTimeoutMs: number;
  /**
   * Failures in a row (no success between them) that open the breaker whatever the rolling error rate:
   * opossum has no such rule, so the breaker counts them itself and opens with `breaker.open()`.
   */
  readonly consecutiveFailuresToOpen: number;
}

export const DEFAULT_CACHE_BREAKER: CacheBreakerOptions = {
  timeoutMs: 50,
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 5_000,
  rollingCountTimeoutMs: 10_000,
  consecutiveFailuresToOpen: 3,
};

export interface RedisBreaker {
  /** Runs one Redis call through the breaker; rejects at once while the breaker is open. */
  fire<T>(call: () => Promise<T>): Promise<T>;
  isOpen(): boolean;
  state(): BreakerState;
  /** Stops the breaker's timers. */
  shutdown(): void;
}

// Redis answered (a script or type error): it is alive, so that must not trip the breaker.
function isNotAnOutage(err: unknown): boolean {
  return err instanceof ReplyError;
}

export function createRedisBreaker(
  options: Partial<CacheBreakerOptions> | undefined,
  metrics: CacheMetrics,
): RedisBreaker {
  const breakerOptions = { ...DEFAULT_CACHE_BREAKER, ...options };
  const breaker = new CircuitBreaker(
    (call: () => Promise<unknown>) => withinTimeout(call(), breakerOptions.timeoutMs),
    {
      // The call times itself out (withinTimeout): one timer per call, and one that tolerates a late loop.
      timeout: false,
      errorThresholdPercentage: breakerOptions.errorThresholdPercentage,
      volumeThreshold: breakerOptions.volumeThreshold,
      resetTimeout: breakerOptions.resetTimeoutMs,
      rollingCountTimeout: breakerOptions.rollingCountTimeoutMs,
      errorFilter: isNotAnOutage,
      // Off: with them on, opossum keeps every call's latency for the rolling window and sorts them all on
      // each failure and for a snapshot every second, which stalled the event loop long enough to time out
      // the Redis calls in flight (docs/performance.md). Opening needs only the window's counts.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    },
  );
  // Failures since the last success. Calls already in flight when the breaker opened may still fail and
  // count on; the count restarts when a call succeeds (a probe in half-open state included).
  let failuresInARow = 0;
  breaker.on("success", () => {
    failuresInARow = 0;
  });
  breaker.on("failure", () => {
    failuresInARow += 1;
    if (failuresInARow >= breakerOptions.consecutiveFailuresToOpen && breaker.closed) breaker.open();
  });
  breaker.on("open", () => metrics.breakerState("open"));
  breaker.on("halfOpen", () => metrics.breakerState("half_open"));
  breaker.on("close", () => metrics.breakerState("closed"));
  metrics.breakerState("closed");
  return {
    fire<T>(call: () => Promise<T>): Promise<T> {
      return breaker.fire(call) as Promise<T>;
    },
    isOpen() {
      return breaker.opened;
    },
    state() {
      if (breaker.opened) return "open";
      if (breaker.halfOpen) return "half_open";
      return "closed";
    },
    shutdown() {
      breaker.shutdown();
    },
  };
}
