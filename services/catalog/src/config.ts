// Catalog configuration from the environment. Variables may carry the CATALOG_ prefix
// (CATALOG_GRPC_PORT before GRPC_PORT) so one shell can run several services.
import {
  apiServerConfigShape,
  authConfigShape,
  boolean,
  checkAuthConfig,
  commonConfigShape,
  durationMs,
  type Env,
  loadConfig,
  nonEmptyString,
  outboxRelayConfigShape,
  positiveInt,
  redisUrl,
  retentionConfigShape,
  schemaName,
  z,
} from "@stockroom/config";
import {
  CATALOG_RATING_PROJECTION_GROUP,
  CATALOG_STOCK_PROJECTION_GROUP,
  REVIEW_TOPIC,
  WAREHOUSE_STOCK_TOPIC,
} from "@stockroom/messaging";

export const CONFIG_PREFIX = "CATALOG_";

export const catalogConfigSchema = z
  .object({
    ...commonConfigShape,
    ...authConfigShape,
    // The outbox relay publishes the catalog's events to Kafka; topics are created up front.
    ...outboxRelayConfigShape,
    // Pruning of event_processing_log and expired idempotency records.
    ...retentionConfigShape,
    ...apiServerConfigShape({ grpc: 50052, http: 8452, metrics: 9452 }),
    DB_SCHEMA: schemaName().default("catalog"),
    REDIS_URL: redisUrl(),
    // Off: every read goes to the database (for benchmarks and incident response).
    CACHE_ENABLED: boolean().default(true),
    // How long a read waits for Redis before it falls back to the database (a reply that arrived while the
    // event loop was busy still counts).
    CACHE_COMMAND_TIMEOUT_MS: durationMs().default(50),
    // How long a product view read from Redis may be answered from this process's memory (0: never). The
    // staleness it adds: another instance's invalidation is seen here at most this long after it reached
    // Redis; this instance's own invalidations and the Redis TTL still take effect at once.
    CACHE_LOCAL_TTL_MS: durationMs().default(250),
    CACHE_TTL_OUT_OF_STOCK_MS: durationMs().default(2_000),
    CACHE_TTL_LOW_STOCK_MS: durationMs().default(10_000),
    CACHE_LOW_STOCK_BELOW: positiveInt().default(10),
    CACHE_TTL_IN_STOCK_MS: durationMs().default(120_000),
    // Every interval the most-read skus since the last pass are reloaded and stored ahead of expiry.
    CACHE_WARM_INTERVAL_MS: durationMs().default(1_000),
    CACHE_WARM_TOP: positiveInt().default(200),
    // Where RebuildAvailability reads stock (host:port); unset leaves the RPC UNAVAILABLE.
    WAREHOUSE_GRPC_ADDRESS: nonEmptyString().optional(),
    SHUTDOWN_GRACE_MS: durationMs().default(10_000),
    // The stock consumer reads the warehouse's stock topic (KAFKA_BROKERS and the relay's settings are
    // outboxRelayConfigShape's).
    STOCK_PARTITIONS_CONCURRENTLY: positiveInt().default(3),
    // Overridable so a benchmark or a second environment on one broker does not share the group's offsets.
    STOCK_CONSUMER_GROUP: nonEmptyString().default(CATALOG_STOCK_PROJECTION_GROUP),
    // The warehouse's stock topic; a benchmark points it at a topic of its own.
    STOCK_EVENTS_TOPIC: nonEmptyString().default(WAREHOUSE_STOCK_TOPIC),
    // The review service's topic, whose RatingSummaryChanged events feed the products' rating figures.
    RATING_EVENTS_TOPIC: nonEmptyString().default(REVIEW_TOPIC),
    RATING_CONSUMER_GROUP: nonEmptyString().default(CATALOG_RATING_PROJECTION_GROUP),
    // Prepended to every cache key (ioredis keyPrefix), e.g. to separate environments on one Redis.
    CACHE_KEY_PREFIX: z
      .string()
      .regex(/^[a-z0-9:_-]*$/, "expected lower-case letters, digits, ':', '_' or '-'")
      .default(""),
  })
  .superRefine(checkAuthConfig)
  .superRefine((config, ctx) => {
    if (config.WAREHOUSE_GRPC_ADDRESS !== undefined && config.JWT_SECRET === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: "the catalog signs its calls to WAREHOUSE_GRPC_ADDRESS with JWT_SECRET",
      });
    }
  });

export type CatalogConfig = z.output<typeof catalogConfigSchema>;

export function loadCatalogConfig(env: Env = process.env): CatalogConfig {
  return loadConfig(catalogConfigSchema, env, { prefix: CONFIG_PREFIX });
}
