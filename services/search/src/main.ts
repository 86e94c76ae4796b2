// Composition root: config → logger → pool (migrated) → engine → use cases → gRPC/Connect servers,
// metrics, the three index consumers (products, stock, ratings) and the lag pollers, wired by hand; SIGTERM stops them in reverse
// order.
import { fileURLToPath } from "node:url";
import { tokenVerifierFromConfig } from "@stockroom/auth";
import { ConfigError } from "@stockroom/config";
import { openServiceDatabase } from "@stockroom/db";
import { createGrpcServer, installSignalHandlers, startApiServers } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createKafkaClient, dlqTopicOf, ensureTopicsWith } from "@stockroom/messaging";
import { createMetricsRegistry, registerPoolMetrics, startMetricsServer } from "@stockroom/metrics";
import { SearchAdminService } from "@stockroom/proto/stockroom/search/v1/search_admin_service_pb.js";
import { SearchService } from "@stockroom/proto/stockroom/search/v1/search_service_pb.js";
import { startRetentionWorker } from "@stockroom/retention";
import { startTelemetry } from "@stockroom/telemetry/sdk";
import servicePackage from "../package.json" with { type: "json" };
import { buildUseCases } from "./app/build-use-cases.ts";
import { createUseCaseDeps } from "./app/use-case-deps.ts";
import { loadSearchConfig, type SearchConfig } from "./config.ts";
import type { SearchDatabase } from "./data/database.ts";
import { createEngine } from "./engine-selection.ts";
import { createRebuildSources } from "./transport/grpc/rebuild-sources.client.ts";
import { createSearchHandler, SEARCH_POLICY } from "./transport/grpc/search.handler.ts";
import { createSearchAdminHandler, SEARCH_ADMIN_POLICY } from "./transport/grpc/search-admin.handler.ts";
import { createIndexLag } from "./transport/kafka/index-lag.ts";
import { createProductEventsConsumer } from "./transport/kafka/product-events.consumer.ts";
import { createRatingEventsConsumer } from "./transport/kafka/rating-events.consumer.ts";
import { createStockEventsConsumer } from "./transport/kafka/stock-events.consumer.ts";

const SERVICE = "search";
const VERSION = servicePackage.version;
const MIGRATIONS = fileURLToPath(new URL("../../../migrations/search", import.meta.url));

async function main(config: SearchConfig): Promise<void> {
  const telemetry = startTelemetry(SERVICE);
  const logger = createLogger({ service: SERVICE, version: VERSION, level: config.LOG_LEVEL });
  const { pool, db } = await openServiceDatabase<SearchDatabase>({
    config,
    service: SERVICE,
    migrations: MIGRATIONS,
    logger,
  });
  const engine = await createEngine(config, logger);
  await engine.ensureReady();

  const registry = createMetricsRegistry({ service: SERVICE });
  registerPoolMetrics(registry, pool);
  const verifier = tokenVerifierFromConfig(config);
  const server = createGrpcServer({
    logger,
    registry,
    verifier,
    readiness: async () => {
      await pool.query("SELECT 1");
      return (await engine.health()).ok;
    },
  });
  const metricsServer = await startMetricsServer({
    port: config.METRICS_PORT,
    registry,
    readiness: () => server.ready(),
  });

  // The config refuses the addresses without JWT_SECRET, which signs these calls.
  const sources =
    config.CATALOG_GRPC_ADDRESS && config.WAREHOUSE_GRPC_ADDRESS && config.JWT_SECRET
      ? createRebuildSources({
          catalogAddress: config.CATALOG_GRPC_ADDRESS,
          warehouseAddress: config.WAREHOUSE_GRPC_ADDRESS,
          jwt: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
        })
      : undefined;
  const useCases = buildUseCases(createUseCaseDeps(db, engine), {
    priceBucketBounds: config.PRICE_BUCKET_BOUNDS,
    rebuild: { sources, pageSize: config.REBUILD_PAGE_SIZE, logger },
  });
  server.register(SearchService, createSearchHandler(useCases.search), SEARCH_POLICY);
  server.register(SearchAdminService, createSearchAdminHandler(useCases.admin), SEARCH_ADMIN_POLICY);

  // The consumed topics and their dead-letter topics up front (the broker does not auto-create them), so
  // the consumers can start before the catalog, the warehouse or the review service ever ran.
  const kafka = createKafkaClient({ clientId: SERVICE, brokers: config.KAFKA_BROKERS, logger });
  await ensureTopicsWith(
    kafka,
    [config.PRODUCT_EVENTS_TOPIC, config.STOCK_EVENTS_TOPIC, config.RATING_EVENTS_TOPIC].flatMap((topic) =>
      [topic, dlqTopicOf(topic)].map((name) => ({ topic: name, numPartitions: config.TOPIC_PARTITIONS })),
    ),
  );
  const lag = createIndexLag({
    kafka,
    feeds: [
      { feed: "product", topic: config.PRODUCT_EVENTS_TOPIC, groupId: config.PRODUCT_CONSUMER_GROUP },
      { feed: "stock", topic: config.STOCK_EVENTS_TOPIC, groupId: config.STOCK_CONSUMER_GROUP },
      { feed: "rating", topic: config.RATING_EVENTS_TOPIC, groupId: config.RATING_CONSUMER_GROUP },
    ],
    logger,
    registry,
    intervalMs: config.LAG_POLL_INTERVAL_MS,
  });
  const productConsumer = createProductEventsConsumer({
    kafka,
    db,
    useCases: useCases.catalogEvents,
    logger,
    registry,
    topic: config.PRODUCT_EVENTS_TOPIC,
    groupId: config.PRODUCT_CONSUMER_GROUP,
    partitionsConsumedConcurrently: config.PARTITIONS_CONSUMED_CONCURRENTLY,
    progress: lag.progressOf("product"),
  });
  const stockConsumer = createStockEventsConsumer({
    kafka,
    db,
    useCases: useCases.stockEvents,
    logger,
    registry,
    topic: config.STOCK_EVENTS_TOPIC,
    groupId: config.STOCK_CONSUMER_GROUP,
    partitionsConsumedConcurrently: config.PARTITIONS_CONSUMED_CONCURRENTLY,
    progress: lag.progressOf("stock"),
  });
  const ratingConsumer = createRatingEventsConsumer({
    kafka,
    db,
    useCases: useCases.ratingEvents,
    logger,
    registry,
    topic: config.RATING_EVENTS_TOPIC,
    groupId: config.RATING_CONSUMER_GROUP,
    partitionsConsumedConcurrently: config.PARTITIONS_CONSUMED_CONCURRENTLY,
    progress: lag.progressOf("rating"),
  });

  const api = await startApiServers(server, {
    logger,
    grpcPort: config.GRPC_PORT,
    httpPort: config.HTTP_PORT,
    corsAllowedOrigins: config.CORS_ALLOWED_ORIGINS,
  });
  const retention = startRetentionWorker({ config, db, schema: config.DB_SCHEMA, logger, registry });
  await productConsumer.start();
  await stockConsumer.start();
  await ratingConsumer.start();
  await lag.start();
  logger.info(
    {
      grpcPort: api.grpcPort,
      httpPort: api.httpPort,
      metricsPort: metricsServer.port,
      schema: config.DB_SCHEMA,
      engine: engine.name,
    },
    "search started",
  );

  installSignalHandlers(
    {
      shutdown: async (graceMs) => {
        await Promise.all([
          productConsumer.stop(),
          stockConsumer.stop(),
          ratingConsumer.stop(),
          lag.stop(),
          retention.stop(),
        ]);
        await api.shutdown(graceMs);
      },
    },
    logger,
    {
      graceMs: config.SHUTDOWN_GRACE_MS,
      onShutdown: async () => {
        sources?.close();
        await metricsServer.close();
        await engine.close();
        await pool.end();
        await telemetry.shutdown();
      },
    },
  );
}

let config: SearchConfig;
try {
  config = loadSearchConfig();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
await main(config).catch((err: unknown) => {
  process.stderr.write(
    `search failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
