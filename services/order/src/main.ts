// Composition root: config → logger → pool (migrated) → clients of the warehouse, the catalog and the
// payment providers (each dependency behind its own breaker) → use cases → gRPC server (health,
// reflection) and the same API over Connect/JSON, metrics listener, payment webhook listener, outbox
// relay, the checkout saga worker, the abandoned-cart worker and the retention worker, wired by hand;
// SIGTERM stops them in reverse order.
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
  ORDER_FULFILLMENT_EVENTS_GROUP,
  ORDER_RETURN_EVENTS_GROUP,
  ORDER_TOPIC,
} from "@stockroom/messaging";
import { createMetricsRegistry, registerPoolMetrics, startMetricsServer } from "@stockroom/metrics";
import { startOutboxRelay } from "@stockroom/outbox";
import { OrderAdminService } from "@stockroom/proto/stockroom/order/v1/order_admin_service_pb.js";
import { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import { startRetentionWorker } from "@stockroom/retention";
import { startTelemetry } from "@stockroom/telemetry/sdk";
import servicePackage from "../package.json" with { type: "json" };
import { buildUseCases } from "./app/build-use-cases.ts";
import { createUseCaseDeps } from "./app/use-case-deps.ts";
import { loadOrderConfig, type OrderConfig } from "./config.ts";
import type { OrderDatabase } from "./data/database.ts";
import { DEFAULT_CAPTURE_TIMING } from "./domain/payment-hold.ts";
import { createOrderMetrics, registerCheckoutsNeedingAttention } from "./order-metrics.ts";
import { createCatalogClient } from "./transport/grpc/catalog.client.ts";
import { createOrderHandler, ORDER_POLICY } from "./transport/grpc/order.handler.ts";
import { createOrderAdminHandler, ORDER_ADMIN_POLICY } from "./transport/grpc/order-admin.handler.ts";
import { createWarehouseClient } from "./transport/grpc/warehouse.client.ts";
import { startPaymentWebhookServer } from "./transport/http/payment-webhook.server.ts";
import { createFulfillmentEventConsumers } from "./transport/kafka/fulfillment-events.consumer.ts";
import { createManualPaymentProvider } from "./transport/payments/manual-payment.provider.ts";
import { createSandboxPaymentProvider } from "./transport/payments/sandbox-payment.provider.ts";
import { createAbandonedCartWorker } from "./workers/abandoned-cart.worker.ts";
import { createCheckoutSagaWorker } from "./workers/checkout-saga.worker.ts";
import { createOrderCallsWorker } from "./workers/order-calls.worker.ts";
import { createRefundRetryWorker } from "./workers/refund-retry.worker.ts";

const SERVICE = "order";
const VERSION = servicePackage.version;
const MIGRATIONS = fileURLToPath(new URL("../../../migrations/order", import.meta.url));

async function main(config: OrderConfig): Promise<void> {
  // Traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; off otherwise.
  const telemetry = startTelemetry(SERVICE);
  const logger = createLogger({ service: SERVICE, version: VERSION, level: config.LOG_LEVEL });
  const { pool, db } = await openServiceDatabase<OrderDatabase>({
    config,
    service: SERVICE,
    migrations: MIGRATIONS,
    logger,
  });

  const registry = createMetricsRegistry({ service: SERVICE });
  registerPoolMetrics(registry, pool);
  const metrics = createOrderMetrics(registry);
  const metricsServer = await startMetricsServer({
    port: config.METRICS_PORT,
    registry,
    readiness: async () => {
      await pool.query("SELECT 1");
      return true;
    },
  });

  // Our own service tokens sign the calls to the warehouse and the catalog.
  if (!config.JWT_SECRET)
    throw new Error(
      "JWT_SECRET is required: it signs the order service's calls to the warehouse and catalog",
    );
  const jwt = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const breaker = {
    volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
    resetTimeoutMs: config.BREAKER_RESET_MS,
  };
  const warehouse = createWarehouseClient({
    address: config.WAREHOUSE_GRPC_ADDRESS,
    jwt,
    deadlineMs: config.DEPENDENCY_DEADLINE_MS,
    breaker,
    onBreakerState: (state) => metrics.breakerState("warehouse", state),
  });
  const catalog = createCatalogClient({
    address: config.CATALOG_GRPC_ADDRESS,
    jwt,
    deadlineMs: config.DEPENDENCY_DEADLINE_MS,
    breaker,
    onBreakerState: (state) => metrics.breakerState("catalog", state),
  });
  const sandboxSecret = config.PAYMENT_SANDBOX_WEBHOOK_SECRET;
  const paymentProviders = [
    ...(sandboxSecret
      ? [
          createSandboxPaymentProvider({
            baseUrl: config.PAYMENT_SANDBOX_URL,
            webhookSecret: sandboxSecret,
            timeoutMs: config.PAYMENT_TIMEOUT_MS,
          }),
        ]
      : []),
    createManualPaymentProvider(),
  ];

  let wakeSaga = () => {};
  const useCases = buildUseCases(
    createUseCaseDeps(db, { catalog, warehouse, paymentProviders, metrics }),
    {
      defaultCurrency: config.DEFAULT_CURRENCY,
      stockHoldMode: config.STOCK_HOLD_MODE,
      paymentHold: config.paymentHold,
      captureTiming: DEFAULT_CAPTURE_TIMING,
      retryPolicy: config.retryPolicy,
      stepLeaseMs: config.SAGA_STEP_LEASE_MS,
      afterCheckout: config.afterCheckout,
      checkoutStockAnswerWaitMs: config.CHECKOUT_STOCK_ANSWER_WAIT_MS,
      cartAbandonAfterMs: config.CART_ABANDON_AFTER_MS,
      cartHoldIntentTimeoutMs: config.CART_HOLD_INTENT_TIMEOUT_MS,
    },
    { logger, onCheckoutDue: () => wakeSaga() },
  );

  const verifier = tokenVerifierFromConfig(config);
  const server = createGrpcServer({ logger, registry, verifier });
  server.register(OrderService, createOrderHandler(useCases.order), ORDER_POLICY);
  server.register(OrderAdminService, createOrderAdminHandler(useCases.admin), ORDER_ADMIN_POLICY);

  const kafka = createKafkaClient({ clientId: SERVICE, brokers: config.KAFKA_BROKERS, logger });
  // Topics up front (the broker does not auto-create them): the fulfillment's two topics and their
  // dead-letter topics, so the consumers can start before the fulfillment service ever ran.
  // A prefixed copy (OUTBOX_TOPIC_PREFIX: a benchmark's, a test's, staging) consumes the prefixed topics
  // in prefixed groups, as it publishes to prefixed topics: it never takes the real consumers' events.
  const prefix = config.OUTBOX_TOPIC_PREFIX;
  const consumed = {
    fulfillment: `${prefix}${FULFILLMENT_TOPIC}`,
    returns: `${prefix}${FULFILLMENT_RETURN_TOPIC}`,
  };
  await ensureTopicsWith(
    kafka,
    [consumed.fulfillment, consumed.returns]
      .flatMap((topic) => [topic, dlqTopicOf(topic)])
      .map((topic) => ({ topic, numPartitions: config.TOPIC_PARTITIONS })),
  );
  const relay = await startOutboxRelay({
    config,
    kafka,
    pool,
    schema: config.DB_SCHEMA,
    logger,
    registry,
    topics: [ORDER_TOPIC],
  });
  const saga = createCheckoutSagaWorker({
    driveDueCheckouts: useCases.saga.driveDueCheckouts,
    oldestUnfinishedAgeSeconds: useCases.saga.oldestUnfinishedAgeSeconds,
    onOldestAge: (seconds) => metrics.oldestUnfinishedSagaSeconds.set(seconds),
    batchSize: config.SAGA_BATCH_SIZE,
    intervalMs: config.SAGA_INTERVAL_MS,
    logger,
  });
  wakeSaga = saga.wake;
  // After checkout: the fulfillment's facts in, the captures, voids, releases and refunds they make due out.
  const fulfillmentConsumers = createFulfillmentEventConsumers({
    kafka,
    db,
    useCases: useCases.fulfillment,
    logger,
    registry,
    topics: consumed,
    groups: {
      fulfillment: `${prefix}${ORDER_FULFILLMENT_EVENTS_GROUP}`,
      returns: `${prefix}${ORDER_RETURN_EVENTS_GROUP}`,
    },
  });
  const after = {
    batchSize: config.AFTER_CHECKOUT_BATCH_SIZE,
    intervalMs: config.AFTER_CHECKOUT_INTERVAL_MS,
    logger,
  };
  const orderCalls = createOrderCallsWorker({
    runDueOrderCalls: useCases.payments.runDueOrderCalls,
    ...after,
  });
  const refunds = createRefundRetryWorker({ retryDueRefunds: useCases.payments.retryDueRefunds, ...after });
  const abandonedCarts = createAbandonedCartWorker({
    abandonIdleCarts: useCases.carts.abandonIdleCarts,
    batchSize: config.CART_ABANDON_BATCH_SIZE,
    intervalMs: config.CART_ABANDON_INTERVAL_MS,
    logger,
  });
  const webhooks = await startPaymentWebhookServer({
    port: config.WEBHOOK_PORT,
    providers: paymentProviders,
    record: useCases.payments.recordWebhook,
    logger,
  });
  registerCheckoutsNeedingAttention(registry, useCases.saga.countNeedingAttention);
  const retention = startRetentionWorker({ config, db, schema: config.DB_SCHEMA, logger, registry });
  saga.start();
  orderCalls.start();
  refunds.start();
  abandonedCarts.start();
  for (const consumer of fulfillmentConsumers) await consumer.start();
  const api = await startApiServers(server, {
    logger,
    grpcPort: config.GRPC_PORT,
    httpPort: config.HTTP_PORT,
    corsAllowedOrigins: config.CORS_ALLOWED_ORIGINS,
  });
  logger.info(
    {
      grpcPort: api.grpcPort,
      httpPort: api.httpPort,
      metricsPort: metricsServer.port,
      webhookPort: webhooks.port,
      schema: config.DB_SCHEMA,
    },
    "order started",
  );

  installSignalHandlers(
    {
      // Stop taking new work first: the saga pass in flight records its outcomes before the server drains.
      shutdown: async (graceMs) => {
        await Promise.all(fulfillmentConsumers.map((c) => c.stop()));
        await Promise.all([
          saga.stop(),
          orderCalls.stop(),
          refunds.stop(),
          abandonedCarts.stop(),
          relay.stop(),
          webhooks.close(),
          retention.stop(),
        ]);
        await api.shutdown(graceMs);
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
        await telemetry.shutdown();
      },
    },
  );
}

let config: OrderConfig;
try {
  config = loadOrderConfig();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
await main(config).catch((err: unknown) => {
  process.stderr.write(
    `order failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
