// Composition root: config → logger → pool (migrated) → Redis + product cache → use cases → gRPC server
// and metrics listener, wired by hand; SIGTERM stops them in reverse order.
import { fileURLToPath } from "node:url";
import { tokenVerifierFromConfig } from "@stockroom/auth";
import { createCacheRedis } from "@stockroom/cache";
import { ConfigError } from "@stockroom/config";
import { openServiceDatabase } from "@stockroom/db";
import { createGrpcServer, installSignalHandlers, startApiServers } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { CATALOG_PRODUCT_TOPIC, createKafkaClient, dlqTopicOf, ensureTopicsWith } from "@stockroom/messaging";
import { createMetricsRegistry, registerPoolMetrics, startMetricsServer } from "@stockroom/metrics";
import { startOutboxRelay } from "@stockroom/outbox";
import { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { startRetentionWorker } from "@stockroom/retention";
import { startTelemetry } from "@stockroom/telemetry/sdk";
import servicePackage from "../package.json" with { type: "json" };
import { buildUseCases } from "./app/build-use-cases.ts";
import { createProductCache, uncachedSource } from "./app/product-cache.ts";
import { withProjectionLag } from "./app/projection-lag.ts";
import { loadProductViewsUseCase } from "./app/read-products.ts";
import { createUseCaseDeps } from "./app/use-case-deps.ts";
import { type CatalogConfig, loadCatalogConfig } from "./config.ts";
import type { CatalogDatabase } from "./data/database.ts";
import { CATALOG_POLICY, createCatalogHandler } from "./transport/grpc/catalog.handler.ts";
import { CATALOG_ADMIN_POLICY, createCatalogAdminHandler } from "./transport/grpc/catalog-admin.handler.ts";
import { createWarehouseStockFetcher } from "./transport/grpc/warehouse-stock.client.ts";
import { createRatingEventsConsumer } from "./transport/kafka/rating-events.consumer.ts";
import { createStockEventsConsumer } from "./transport/kafka/stock-events.consumer.ts";
import { createStockProjectionLag } from "./transport/kafka/stock-projection-lag.ts";
import { createCacheWarmer } from "./workers/cache-warmer.ts";

const SERVICE = "catalog";
const VERSION = servicePackage.version;
const MIGRATIONS = fileURLToPath(new URL("../../../migrations/catalog", import.meta.url));

async function main(config: CatalogConfig): Promise<void> {
  // Traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; off otherwise.
  const telemetry = startTelemetry(SERVICE);
  const logger = createLogger({ service: SERVICE, version: VERSION, level: config.LOG_LEVEL });
  const { pool, db } = await openServiceDatabase<CatalogDatabase>({
    config,
    service: SERVICE,
    migrations: MIGRATIONS,
    logger,
  });

  const registry = createMetricsRegistry({ service: SERVICE });
  registerPoolMetrics(registry, pool);
  const verifier = tokenVerifierFromConfig(config);
  const server = createGrpcServer({
    logger,
    registry,
    verifier,
    readiness: async () => {
      await pool.query("SELECT 1");
      return true;
    },
  });
  // Ready once gRPC is bound and the database answers, and not while draining: as gRPC health says.
  const metricsServer = await startMetricsServer({
    port: config.METRICS_PORT,
    registry,
    readiness: () => server.ready(),
  });

  // Redis is optional at start: until it answers, reads fall back to the database.
  const redis = config.CACHE_ENABLED
    ? createCacheRedis(config.REDIS_URL, {
        keyPrefix: config.CACHE_KEY_PREFIX,
        onError: (err) => logger.warn({ err: err.message }, "redis connection error"),
      })
    : undefined;
  const loadProductViews = loadProductViewsUseCase(createUseCaseDeps(db));
  const cache = redis
    ? createProductCache({
        redis,
        loadMany: loadProductViews,
        redisTimeoutMs: config.CACHE_COMMAND_TIMEOUT_MS,
        localTtlMs: config.CACHE_LOCAL_TTL_MS,
        registry,
        ttlPolicy: {
          outOfStockMs: config.CACHE_TTL_OUT_OF_STOCK_MS,
          lowStockMs: config.CACHE_TTL_LOW_STOCK_MS,
          lowStockBelow: config.CACHE_LOW_STOCK_BELOW,
          inStockMs: config.CACHE_TTL_IN_STOCK_MS,
        },
        onError: (err, operation) =>
          logger.debug(
            { err: err instanceof Error ? err.message : String(err), operation },
            "cache fallback",
          ),
      })
    : undefined;
  // The consumer's partition progress, read by every answer's projection_lag.
  const stockLag = createStockProjectionLag({ topic: config.STOCK_EVENTS_TOPIC });
  // The config refuses WAREHOUSE_GRPC_ADDRESS without JWT_SECRET, which signs these calls.
  const warehouse =
    config.WAREHOUSE_GRPC_ADDRESS && config.JWT_SECRET
      ? createWarehouseStockFetcher({
          address: config.WAREHOUSE_GRPC_ADDRESS,
          jwt: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
        })
      : undefined;
  const useCases = buildUseCases(createUseCaseDeps(db, cache ? { cache } : {}), {
    products: withProjectionLag(cache ?? uncachedSource(loadProductViews), stockLag),
    fetchStockLevels: warehouse?.fetch,
  });

  server.register(CatalogService, createCatalogHandler(useCases.catalog), CATALOG_POLICY);
  server.register(CatalogAdminService, createCatalogAdminHandler(useCases.admin), CATALOG_ADMIN_POLICY);

  // Topics up front (the broker does not auto-create them): the stock and review topics with their
  // dead-letter topics, so the consumers can start before the warehouse or the review service ever ran;
  // the relay creates the catalog's own.
  const kafka = createKafkaClient({ clientId: SERVICE, brokers: config.KAFKA_BROKERS, logger });
  await ensureTopicsWith(
    kafka,
    [
      config.STOCK_EVENTS_TOPIC,
      dlqTopicOf(config.STOCK_EVENTS_TOPIC),
      config.RATING_EVENTS_TOPIC,
      dlqTopicOf(config.RATING_EVENTS_TOPIC),
    ].map((topic) => ({
      topic,
      numPartitions: config.TOPIC_PARTITIONS,
    })),
  );
  const relay = await startOutboxRelay({
    config,
    kafka,
    pool,
    schema: config.DB_SCHEMA,
    logger,
    registry,
    topics: [CATALOG_PRODUCT_TOPIC],
  });
  const stockConsumer = createStockEventsConsumer({
    kafka,
    topic: config.STOCK_EVENTS_TOPIC,
    db,
    apply: useCases.stockEvents.applyStockLevelChanged,
    logger,
    registry,
    partitionsConsumedConcurrently: config.STOCK_PARTITIONS_CONCURRENTLY,
    groupId: config.STOCK_CONSUMER_GROUP,
    progress: stockLag.progress,
  });
  const ratingConsumer = createRatingEventsConsumer({
    kafka,
    topic: config.RATING_EVENTS_TOPIC,
    db,
    apply: useCases.ratingEvents.applyRatingSummaryChanged,
    logger,
    registry,
    groupId: config.RATING_CONSUMER_GROUP,
  });

  const warmer = cache
    ? createCacheWarmer({
        warmHottest: (limit) => cache.warmHottest(limit),
        limit: config.CACHE_WARM_TOP,
        intervalMs: config.CACHE_WARM_INTERVAL_MS,
        logger,
      })
    : undefined;

  const api = await startApiServers(server, {
    logger,
    grpcPort: config.GRPC_PORT,
    httpPort: config.HTTP_PORT,
    corsAllowedOrigins: config.CORS_ALLOWED_ORIGINS,
  });
  warmer?.start();
  const retention = startRetentionWorker({ config, db, schema: config.DB_SCHEMA, logger, registry });
  await stockConsumer.start();
  await ratingConsumer.start();
  logger.info(
    {
      grpcPort: api.grpcPort,
      httpPort: api.httpPort,
      metricsPort: metricsServer.port,
      schema: config.DB_SCHEMA,
      cache: Boolean(cache),
    },
    "catalog started",
  );

  installSignalHandlers(
    {
      // Stop taking new work first: the event in flight commits before the server drains.
      shutdown: async (graceMs) => {
        await Promise.all([
          stockConsumer.stop(),
          ratingConsumer.stop(),
          relay.stop(),
          warmer?.stop(),
          retention.stop(),
        ]);
        await api.shutdown(graceMs);
      },
    },
    logger,
    {
      graceMs: config.SHUTDOWN_GRACE_MS,
      onShutdown: async () => {
        warehouse?.close();
        cache?.close();
        redis?.disconnect();
        await metricsServer.close();
        await pool.end();
        await telemetry.shutdown();
      },
    },
  );
}

let config: CatalogConfig;
try {
  config = loadCatalogConfig();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
await main(config).catch((err: unknown) => {
  process.stderr.write(
    `catalog failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
