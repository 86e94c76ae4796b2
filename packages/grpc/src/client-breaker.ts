// One opossum circuit breaker per outbound dependency (INT-P1-02): calls fail at once with UNAVAILABLE
// while the dependency is known to be down, instead of each waiting for its deadline. Only outages count
// (UNAVAILABLE, DEADLINE_EXCEEDED, a dropped connection): a business answer (NOT_FOUND, FAILED_PRECONDITION
// such as insufficient stock) proves the dependency alive and never trips the breaker. No fallback
// here: a caller that may answer stale (a cart read) catches the UNAVAILABLE and does so itself.
import { status } from "@grpc/grpc-js";
import { unavailable } from "@stockroom/errors";
import CircuitBreaker from "opossum";
import { GrpcCallError } from "./client.ts";

export type BreakerState = "closed" | "open" | "half_open";

export interface DependencyBreakerOptions {
  // The dependency's name, in errors and metrics ("warehouse", "catalog").
  readonly name: string;
  readonly errorThresholdPercentage?: number;
  // Calls needed in the rolling window before the breaker may open.
  readonly volumeThreshold?: number;
  // How long the breaker stays open before letting one call probe the dependency.
  readonly resetTimeoutMs?: number;
  readonly rollingCountTimeoutMs?: number;
  readonly onStateChange?: (state: BreakerState) => void;
}

export interface DependencyBreaker {
  fire<T>(call: () => Promise<T>): Promise<T>;
  state(): BreakerState;
  shutdown(): void;
}

const OUTAGE_CODES: ReadonlySet<number> = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.UNKNOWN,
]);

function isOutage(err: unknown): boolean {
  return !(err instanceof GrpcCallError) || OUTAGE_CODES.has(err.code);
}

export function createDependencyBreaker(options: DependencyBreakerOptions): DependencyBreaker {
  const breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
    // Each call carries its own gRPC deadline; opossum's timer would not stop the call (opossum #540).
    timeout: false,
    errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
    volumeThreshold: options.volumeThreshold ?? 5,
    resetTimeout: options.resetTimeoutMs ?? 5_000,
    rollingCountTimeout: options.rollingCountTimeoutMs ?? 10_000,
    errorFilter: (err: unknown) => !isOutage(err),
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  });
  breaker.on("open", () => options.onStateChange?.("open"));
  breaker.on("halfOpen", () => options.onStateChange?.("half_open"));
  breaker.on("close", () => options.onStateChange?.("closed"));
  options.onStateChange?.("closed");
  return {
    async fire<T>(call: () => Promise<T>): Promise<T> {
      try {
        return (await breaker.fire(call)) as T;
      } catch (err) {
        if ((err as { code?: unknown }).code === "EOPENBREAKER") {
          throw unavailable(
            `${options.name} is unavailable (circuit open)`,
            undefined,
            { dependency: options.name },
            err,
          );
        }
        throw err;
      }
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
