// Search configuration from the environment. Variables may carry the SEARCH_ prefix (SEARCH_GRPC_PORT
// before GRPC_PORT) so one shell can run several services.
import {
  apiServerConfigShape,
  authConfigShape,
  checkAuthConfig,
  commaList,
  commonConfigShape,
  durationMs,
  type Env,
  loadConfig,
  nonEmptyString,
  positiveInt,
  retentionConfigShape,
  schemaName,
  url,
  z,
} from "@stockroom/config";
import {
  CATALOG_PRODUCT_TOPIC,
  REVIEW_TOPIC,
  SEARCH_PRODUCT_INDEX_GROUP,
  SEARCH_RATING_INDEX_GROUP,
  SEARCH_STOCK_INDEX_GROUP,
  WAREHOUSE_STOCK_TOPIC,
} from "@stockroom/messaging";

export const CONFIG_PREFIX = "SEARCH_";

export const SEARCH_ENGINES = ["postgres", "opensearch"] as const;

export const searchConfigSchema = z
  .object({
    ...commonConfigShape,
    ...authConfigShape,
    // Pruning of event_processing_log.
    ...retentionConfigShape,
    ...apiServerConfigShape({ grpc: 50056, http: 8456, metrics: 9456 }),
    DB_SCHEMA: schemaName().default("search"),
    KAFKA_BROKERS: commaList(),
    // Partitions of the consumed topics when this service creates them first.
    TOPIC_PARTITIONS: positiveInt().default(6),
    // Where documents are indexed and queried: PostgreSQL in DB_SCHEMA (the default) or OpenSearch.
    ENGINE: z.enum(SEARCH_ENGINES).default("postgres"),
    OPENSEARCH_URL: url({ protocols: ["http", "https"] }).optional(),
    // The live index is an alias of this name; rebuilds fill <name>-<id> and move the alias.
    OPENSEARCH_INDEX: nonEmptyString().default("stockroom-products"),
    PRODUCT_EVENTS_TOPIC: nonEmptyString().default(CATALOG_PRODUCT_TOPIC),
    STOCK_EVENTS_TOPIC: nonEmptyString().default(WAREHOUSE_STOCK_TOPIC),
    RATING_EVENTS_TOPIC: nonEmptyString().default(REVIEW_TOPIC),
    // Overridable so a benchmark or a second environment on one broker does not share the groups' offsets.
    PRODUCT_CONSUMER_GROUP: nonEmptyString().default(SEARCH_PRODUCT_INDEX_GROUP),
    STOCK_CONSUMER_GROUP: nonEmptyString().default(SEARCH_STOCK_INDEX_GROUP),
    RATING_CONSUMER_GROUP: nonEmptyString().default(SEARCH_RATING_INDEX_GROUP),
    PARTITIONS_CONSUMED_CONCURRENTLY: positiveInt().default(3),
    // Where a rebuild reads products (CatalogAdminService) and stock (WarehouseService), host:port; unset
    // leaves RebuildIndex UNAVAILABLE. Calls are signed with JWT_SECRET.
    CATALOG_GRPC_ADDRESS: nonEmptyString().optional(),
    WAREHOUSE_GRPC_ADDRESS: nonEmptyString().optional(),
    REBUILD_PAGE_SIZE: positiveInt().default(100),
    // Upper bounds of the price facet's buckets in minor units (the last bucket is open-ended).
    PRICE_BUCKET_BOUNDS: commaList()
      .pipe(
        z.array(
          z
            .string()
            .regex(/^[1-9][0-9]{0,14}$/, "expected positive integers")
            .transform(Number),
        ),
      )
      .default([2500, 5000, 10000, 25000, 50000]),
    // How often the index lag gauge is recomputed from the broker's offsets.
    LAG_POLL_INTERVAL_MS: durationMs().default(1_000),
    SHUTDOWN_GRACE_MS: durationMs().default(10_000),
  })
  .superRefine(checkAuthConfig)
  .superRefine((config, ctx) => {
    if (config.ENGINE === "opensearch" && config.OPENSEARCH_URL === undefined) {
      ctx.addIssue({ code: "custom", path: ["OPENSEARCH_URL"], message: "required with ENGINE=opensearch" });
    }
    const bounds = config.PRICE_BUCKET_BOUNDS;
    if (bounds.some((bound: number, i: number) => i > 0 && bound <= (bounds[i - 1] ?? 0))) {
      ctx.addIssue({ code: "custom", path: ["PRICE_BUCKET_BOUNDS"], message: "must be strictly ascending" });
    }
    if (
      (config.CATALOG_GRPC_ADDRESS !== undefined || config.WAREHOUSE_GRPC_ADDRESS !== undefined) &&
      config.JWT_SECRET === undefined
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: "the search service signs its calls to the catalog and the warehouse with JWT_SECRET",
      });
    }
  });

export type SearchConfig = z.output<typeof searchConfigSchema>;

export function loadSearchConfig(env: Env = process.env): SearchConfig {
  return loadConfig(searchConfigSchema, env, { prefix: CONFIG_PREFIX });
}
