// Warehouse configuration from the environment. Variables may carry the WAREHOUSE_ prefix
// (WAREHOUSE_GRPC_PORT before GRPC_PORT) so one shell can run several services.

import {
  authConfigShape,
  checkAuthConfig,
  commaList,
  commonConfigShape,
  durationMs,
  type Env,
  loadConfig,
  outboxRelayConfigShape,
  port,
  positiveInt,
  schemaName,
  z,
} from "@stockroom/config";
import { DEFAULT_TTL_POLICY, type ReservationTtlPolicy } from "./domain/reservation-ttl.ts";

export const CONFIG_PREFIX = "WAREHOUSE_";

// The RESERVE_BATCH_* defaults: how concurrent reserves are batched (reserve-stock.ts, request-batcher.ts).
// One batch in flight and an 8 ms linger after a large batch measured best on a 2-core machine, for one
// hot sku and for spread skus (docs/performance.md); raise the concurrency where the database has cores
// to spare.
export const DEFAULT_RESERVE_BATCHING = { maxBatch: 64, concurrency: 1, lingerMs: 8 } as const;

// What one process runs. All of them by default; in a cluster the API pods can leave the relay to a
// worker deployment (`relay`), so publishing to Kafka does not share an event loop with request handling.
export const WAREHOUSE_COMPONENTS = ["api", "relay", "sweeper"] as const;
export type WarehouseComponent = (typeof WAREHOUSE_COMPONENTS)[number];

export const warehouseConfigSchema = z.object({
  ...commonConfigShape,
  // The outbox relay publishes this schema's events to Kafka; topics are created up front.
  ...outboxRelayConfigShape,
  ...authConfigShape,
  GRPC_PORT: port().default(50051),
  // The same API over Connect (JSON or binary over HTTP/1.1 and HTTP/2, gRPC-Web), e.g. for curl.
  HTTP_PORT: port().default(8451),
  // Origins browsers may call the HTTP port from (comma-separated; "*": any); unset: none.
  CORS_ALLOWED_ORIGINS: commaList().default([]),
  METRICS_PORT: port().default(9451),
  DB_SCHEMA: schemaName().default("warehouse"),
  // Reservation hold per payment method; unset keeps DEFAULT_TTL_POLICY's values.
  RESERVATION_TTL_CARD_MS: durationMs().optional(),
  RESERVATION_TTL_E_WALLET_MS: durationMs().optional(),
  RESERVATION_TTL_BANK_TRANSFER_MS: durationMs().optional(),
  RESERVATION_TTL_CASH_ON_DELIVERY_MS: durationMs().optional(),
  RESERVATION_TTL_MIN_MS: durationMs().optional(),
  RESERVATION_TTL_MAX_MS: durationMs().optional(),
  EXPIRY_SWEEP_INTERVAL_MS: durationMs().default(1000),
  EXPIRY_BATCH_SIZE: positiveInt().default(200),
  SHUTDOWN_GRACE_MS: durationMs().default(10_000),
  // Concurrent reserves are written in batches: at most this many per transaction, and at most
  // RESERVE_BATCH_CONCURRENCY transactions at once, each on a connection of its own (beside DB_POOL_MAX).
  RESERVE_BATCH_MAX: positiveInt().default(DEFAULT_RESERVE_BATCHING.maxBatch),
  RESERVE_BATCH_CONCURRENCY: positiveInt().default(DEFAULT_RESERVE_BATCHING.concurrency),
  RESERVE_BATCH_LINGER_MS: z.coerce.number().int().min(0).max(50).default(DEFAULT_RESERVE_BATCHING.lingerMs),
  COMPONENTS: commaList()
    .pipe(z.array(z.enum(WAREHOUSE_COMPONENTS)))
    .default([...WAREHOUSE_COMPONENTS]),
});

type RawWarehouseConfig = z.output<typeof warehouseConfigSchema>;

export interface WarehouseConfig extends RawWarehouseConfig {
  ttlPolicy: ReservationTtlPolicy;
}

export function loadWarehouseConfig(env: Env = process.env): WarehouseConfig {
  const raw = loadConfig(warehouseConfigSchema.superRefine(checkAuthConfig), env, { prefix: CONFIG_PREFIX });
  return { ...raw, ttlPolicy: ttlPolicyFrom(raw) };
}

export function ttlPolicyFrom(raw: RawWarehouseConfig): ReservationTtlPolicy {
  const policy: ReservationTtlPolicy = {
    card: raw.RESERVATION_TTL_CARD_MS ?? DEFAULT_TTL_POLICY.card,
    e_wallet: raw.RESERVATION_TTL_E_WALLET_MS ?? DEFAULT_TTL_POLICY.e_wallet,
    bank_transfer: raw.RESERVATION_TTL_BANK_TRANSFER_MS ?? DEFAULT_TTL_POLICY.bank_transfer,
    cash_on_delivery: raw.RESERVATION_TTL_CASH_ON_DELIVERY_MS ?? DEFAULT_TTL_POLICY.cash_on_delivery,
    minMs: raw.RESERVATION_TTL_MIN_MS ?? DEFAULT_TTL_POLICY.minMs,
    maxMs: raw.RESERVATION_TTL_MAX_MS ?? DEFAULT_TTL_POLICY.maxMs,
  };
  // A default outside [min, max] would make every reservation of that method fail: refuse at start-up.
  for (const method of ["card", "e_wallet", "bank_transfer", "cash_on_delivery"] as const) {
    if (policy[method] < policy.minMs || policy[method] > policy.maxMs) {
      throw new Error(
        `reservation TTL for ${method} (${policy[method]} ms) must lie within ${policy.minMs}..${policy.maxMs} ms`,
      );
    }
  }
  return policy;
}
