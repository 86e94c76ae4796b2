// Composition root: config → logger → pool (migrated) → warehouse and catalog clients → use cases → the
// gRPC and Connect API (FulfillmentService) with the carriers' delivery webhook, the order-events
// consumer, the warehouse command worker and the outbox relay (FULFILLMENT_COMPONENTS picks which), wired
// by hand; SIGTERM stops them in reverse order.
import { fileURLToPath } from "node:url";
import { tokenVerifierFromConfig } from "@stockroom/auth";
import { ConfigError } from "@stockroom/config";
import { openServiceDatabase } from "@stockroom/db";
import { createGrpcServer, installSignalHandlers, startApiServers } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import {
  createKafkaClient,
  dlqTopicOf,
  ensureTopicsWith,
  FULFILLMENT_RETURN_TOPIC,
  FULFILLMENT_TOPIC,
} from "@stockroom/messaging";
import { createMetricsRegistry, startMetricsServer } from "@stockroom/metrics";
import { startOutboxRelay } from "@stockroom/outbox";
import { FulfillmentService } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_service_pb.js";
import servicePackage from "../package.json" with { type: "json" };
import { buildUseCases } from "./app/build-use-cases.ts";
import { createUseCaseDeps } from "./app/use-case-deps.ts";
import { type FulfillmentComponent, type FulfillmentConfig, loadFulfillmentConfig } from "./config.ts";
import type { FulfillmentDatabase } from "./data/database.ts";
import { createCatalogClient } from "./transport/grpc/catalog.client.ts";
import { createFulfillmentHandler, FULFILLMENT_POLICY } from "./transport/grpc/fulfillment.handler.ts";
import { createWarehouseClient, isRetryableWarehouseError } from "./transport/grpc/warehouse.client.ts";
import { startCarrierWebhookServer } from "./transport/http/carrier-webhook.server.ts";
import { createOrderEventsConsumer } from "./transport/kafka/order-events.consumer.ts";
import { createWarehouseCommandWorker } from "./workers/warehouse-command.worker.ts";

const SERVICE = "fulfillment";
const VERSION = servicePackage.version;
const MIGRATIONS = fileURLToPath(new URL("../../../migrations/fulfillment", import.meta.url));

async function main(config: FulfillmentConfig): Promise<void> {
  const logger = createLogger({ service: SERVICE, version: VERSION, level: config.LOG_LEVEL });
  const { pool, db } = await openServiceDatabase<FulfillmentDatabase>({
    config,
    service: SERVICE,
    migrations: MIGRATIONS,
    logger,
  });
  const registry = createMetricsRegistry({ service: SERVICE });
  const databaseReady = async () => {
    await pool.query("SELECT 1");
    return true;
  };
  const server = createGrpcServer({
    logger,
    registry,
    verifier: tokenVerifierFromConfig(config),
    readiness: databaseReady,
  });
  const runs = (component: FulfillmentComponent) => config.COMPONENTS.includes(component);
  const metricsServer = await startMetricsServer({
    port: config.METRICS_PORT,
    registry,
    readiness: () => (runs("api") ? server.ready() : databaseReady()),
  });

  const warehouse = createWarehouseClient({
    address: config.WAREHOUSE_GRPC_ADDRESS,
    // checkAuthConfig and the schema's own refinement make sure the secret is there.
    jwt: { secret: config.JWT_SECRET ?? "", issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    deadlineMs: config.WAREHOUSE_DEADLINE_MS,
  });
  const catalog = createCatalogClient({
    address: config.CATALOG_GRPC_ADDRESS,
    jwt: { secret: config.JWT_SECRET ?? "", issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    deadlineMs: config.CATALOG_DEADLINE_MS,
  });
  const useCases = buildUseCases(
    createUseCaseDeps(db, {
      warehouse,
      catalog,
      qcPolicy: config.qcPolicy,
      topics: { fulfillment: FULFILLMENT_TOPIC, return: FULFILLMENT_RETURN_TOPIC },
      retryPolicy: config.retryPolicy,
    }),
    {
      commandWorker: {
        batchSize: config.COMMAND_BATCH_SIZE,
        leaseMs: config.COMMAND_LEASE_MS,
        isRetryable: isRetryableWarehouseError,
      },
      returnWindowMs: config.RETURN_WINDOW_MS,
      refundPolicy: config.refundPolicy,
    },
  );
  server.register(FulfillmentService, createFulfillmentHandler(useCases), FULFILLMENT_POLICY);

  const kafka = createKafkaClient({ clientId: SERVICE, brokers: config.KAFKA_BROKERS, logger });
  // Topics up front (the broker does not auto-create them): the order topic and its dead-letter topic,
  // so the consumer can start before the order service ever ran; the relay creates our own. A process
  // without the consumer (api, commands) needs neither.
  if (runs("consumer")) {
    await ensureTopicsWith(
      kafka,
      [config.ORDER_EVENTS_TOPIC, dlqTopicOf(config.ORDER_EVENTS_TOPIC)].map((topic) => ({
        topic,
        numPartitions: config.TOPIC_PARTITIONS,
      })),
    );
  }
  const relay = runs("relay")
    ? await startOutboxRelay({
        config,
        kafka,
        pool,
        schema: config.DB_SCHEMA,
        logger,
        registry,
        topics: [FULFILLMENT_TOPIC, FULFILLMENT_RETURN_TOPIC],
      })
    : undefined;
  const consumer = runs("consumer")
    ? createOrderEventsConsumer({
        kafka,
        db,
        useCases: useCases.orderEvents,
        logger,
        registry,
        topic: config.ORDER_EVENTS_TOPIC,
        groupId: config.ORDER_EVENTS_GROUP,
      })
    : undefined;
  const commands = runs("commands")
    ? createWarehouseCommandWorker({
        sendDue: useCases.commands.sendDue,
        batchSize: config.COMMAND_BATCH_SIZE,
        intervalMs: config.COMMAND_INTERVAL_MS,
        onError: (err) => logger.error({ err }, "warehouse command tick failed"),
        onTick: (result) => {
          if (result.failed > 0) logger.error(result, "warehouse commands failed for good; ops must look");
        },
      })
    : undefined;
  await consumer?.start();
  commands?.start();
  const api = runs("api")
    ? await startApiServers(server, {
        logger,
        grpcPort: config.GRPC_PORT,
        httpPort: config.HTTP_PORT,
        corsAllowedOrigins: config.CORS_ALLOWED_ORIGINS,
      })
    : undefined;
  const webhooks =
    runs("api") && config.CARRIER_WEBHOOK_SECRET !== undefined
      ? await startCarrierWebhookServer({
          port: config.WEBHOOK_PORT,
          secret: config.CARRIER_WEBHOOK_SECRET,
          toleranceMs: config.CARRIER_WEBHOOK_TOLERANCE_MS,
          record: useCases.carrierWebhook.recordDelivery,
          logger,
        })
      : undefined;
  logger.info(
    {
      components: config.COMPONENTS,
      grpcPort: api?.grpcPort,
      webhookPort: webhooks?.port,
      httpPort: api?.httpPort,
      metricsPort: metricsServer.port,
      schema: config.DB_SCHEMA,
    },
    "fulfillment started",
  );

  installSignalHandlers(
    {
      shutdown: async (graceMs) => {
        await consumer?.stop();
        await Promise.all([commands?.stop(), relay?.stop(), webhooks?.close()]);
        await api?.shutdown(graceMs);
      },
    },
    logger,
    {
      graceMs: config.SHUTDOWN_GRACE_MS,
      onShutdown: async () => {
        warehouse.close();
        catalog.close();
        await metricsServer.close();
        await pool.end();
      },
    },
  );
}

let config: FulfillmentConfig;
try {
  config = loadFulfillmentConfig();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
await main(config).catch((err: unknown) => {
  process.stderr.write(
    `fulfillment failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
