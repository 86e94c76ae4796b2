// Composition root: config → logger → pool (migrated) → order client (optional) → use cases → gRPC
// server (and Connect), metrics listener, outbox relay, order-events consumer and retention worker,
// wired by hand; SIGTERM stops them in reverse order.
import { fileURLToPath } from "node:url";
import { tokenVerifierFromConfig } from "@stockroom/auth";
import { ConfigError } from "@stockroom/config";
import { openServiceDatabase } from "@stockroom/db";
import { createGrpcServer, installSignalHandlers, startApiServers } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createKafkaClient, dlqTopicOf, ensureTopicsWith, REVIEW_TOPIC } from "@stockroom/messaging";
import { createMetricsRegistry, registerPoolMetrics, startMetricsServer } from "@stockroom/metrics";
import { startOutboxRelay } from "@stockroom/outbox";
import { ReviewAdminService } from "@stockroom/proto/stockroom/review/v1/review_admin_service_pb.js";
import { ReviewService } from "@stockroom/proto/stockroom/review/v1/review_service_pb.js";
import { startRetentionWorker } from "@stockroom/retention";
import { startTelemetry } from "@stockroom/telemetry/sdk";
import { Counter, Gauge } from "prom-client";
import servicePackage from "../package.json" with { type: "json" };
import { buildUseCases } from "./app/build-use-cases.ts";
import { createUseCaseDeps } from "./app/use-case-deps.ts";
import { loadReviewConfig, type ReviewConfig } from "./config.ts";
import type { ReviewDatabase } from "./data/database.ts";
import { createOrderPurchasesClient } from "./transport/grpc/order-purchases.client.ts";
import { createReviewHandler, REVIEW_POLICY } from "./transport/grpc/review.handler.ts";
import { createReviewAdminHandler, REVIEW_ADMIN_POLICY } from "./transport/grpc/review-admin.handler.ts";
import { createOrderEventsConsumer } from "./transport/kafka/order-events.consumer.ts";

const SERVICE = "review";
const VERSION = servicePackage.version;
const MIGRATIONS = fileURLToPath(new URL("../../../migrations/review", import.meta.url));
const BREAKER_STATES = ["closed", "open", "half_open"] as const;

async function main(config: ReviewConfig): Promise<void> {
  // Traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; off otherwise.
  const telemetry = startTelemetry(SERVICE);
  const logger = createLogger({ service: SERVICE, version: VERSION, level: config.LOG_LEVEL });
  const { pool, db } = await openServiceDatabase<ReviewDatabase>({
    config,
    service: SERVICE,
    migrations: MIGRATIONS,
    logger,
  });

  const registry = createMetricsRegistry({ service: SERVICE });
  registerPoolMetrics(registry, pool);
  const verifyFailures = new Counter({
    name: "review_purchase_verification_failures_total",
    help: "VerifyPurchase calls to the order service that failed (each one answered as not verified).",
    registers: [registry],
  });
  const breakerState = new Gauge({
    name: "review_order_breaker_state",
    help: "The order service breaker: 1 for the current state.",
    labelNames: ["state"],
    registers: [registry],
  });
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
  const metricsServer = await startMetricsServer({
    port: config.METRICS_PORT,
    registry,
    readiness: () => server.ready(),
  });

  // The config refuses ORDER_GRPC_ADDRESS without JWT_SECRET, which signs these calls.
  const orderPurchases =
    config.ORDER_GRPC_ADDRESS && config.JWT_SECRET
      ? createOrderPurchasesClient({
          address: config.ORDER_GRPC_ADDRESS,
          jwt: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
          deadlineMs: config.ORDER_VERIFY_DEADLINE_MS,
          onBreakerState: (state) => {
            for (const s of BREAKER_STATES) breakerState.set({ state: s }, s === state ? 1 : 0);
          },
        })
      : undefined;
  const useCases = buildUseCases(
    createUseCaseDeps(db, { topic: REVIEW_TOPIC, policy: config.policy, orderPurchases }),
    {
      onVerifyError: (err) => {
        verifyFailures.inc();
        logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "VerifyPurchase failed: not verified",
        );
      },
    },
  );

  server.register(ReviewService, createReviewHandler(useCases.reviews), REVIEW_POLICY);
  server.register(ReviewAdminService, createReviewAdminHandler(useCases.admin), REVIEW_ADMIN_POLICY);

  // Topics up front (the broker does not auto-create them): the order topic with its dead-letter topic,
  // so the consumer can start before the order service ever ran; the relay creates the review topic.
  const kafka = createKafkaClient({ clientId: SERVICE, brokers: config.KAFKA_BROKERS, logger });
  await ensureTopicsWith(
    kafka,
    [config.ORDER_EVENTS_TOPIC, dlqTopicOf(config.ORDER_EVENTS_TOPIC)].map((topic) => ({
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
    topics: [REVIEW_TOPIC],
  });
  const orderConsumer = createOrderEventsConsumer({
    kafka,
    db,
    apply: useCases.orderEvents.applyOrderSnapshot,
    logger,
    registry,
    topic: config.ORDER_EVENTS_TOPIC,
    groupId: config.ORDER_EVENTS_GROUP,
  });

  const api = await startApiServers(server, {
    logger,
    grpcPort: config.GRPC_PORT,
    httpPort: config.HTTP_PORT,
    corsAllowedOrigins: config.CORS_ALLOWED_ORIGINS,
  });
  const retention = startRetentionWorker({ config, db, schema: config.DB_SCHEMA, logger, registry });
  await orderConsumer.start();
  logger.info(
    {
      grpcPort: api.grpcPort,
      httpPort: api.httpPort,
      metricsPort: metricsServer.port,
      schema: config.DB_SCHEMA,
      unverified: config.policy.unverified,
      verifyPurchase: Boolean(orderPurchases),
    },
    "review started",
  );

  installSignalHandlers(
    {
      // Stop taking new work first: the event in flight commits before the server drains.
      shutdown: async (graceMs) => {
        await Promise.all([orderConsumer.stop(), relay.stop(), retention.stop()]);
        await api.shutdown(graceMs);
      },
    },
    logger,
    {
      graceMs: config.SHUTDOWN_GRACE_MS,
      onShutdown: async () => {
        orderPurchases?.close();
        await metricsServer.close();
        await pool.end();
        await telemetry.shutdown();
      },
    },
  );
}

let config: ReviewConfig;
try {
  config = loadReviewConfig();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
await main(config).catch((err: unknown) => {
  process.stderr.write(
    `review failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
