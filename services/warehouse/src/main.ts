// Composition root: config → logger → pool (migrated) → use cases → gRPC server, metrics listener,
// outbox relay and expiry sweeper (WAREHOUSE_COMPONENTS picks which), wired by hand; SIGTERM stops them
// in reverse order.
import { fileURLToPath } from "node:url";
import { tokenVerifierFromConfig } from "@stockroom/auth";
import { ConfigError } from "@stockroom/config";
import { createDb, createPool, openServiceDatabase, type Pool } from "@stockroom/db";
import { createGrpcServer, installSignalHandlers, startApiServers } from "@stockroom/grpc";
import { SYSTEM_PRINCIPAL } from "@stockroom/idempotency";
import { createLogger, type Logger } from "@stockroom/logging";
import { createKafkaClient, WAREHOUSE_RESERVATION_TOPIC, WAREHOUSE_STOCK_TOPIC } from "@stockroom/messaging";
import {
  createMetricsRegistry,
  type Registry,
  registerPoolMetrics,
  startMetricsServer,
} from "@stockroom/metrics";
import { type OutboxRelay, startOutboxRelay } from "@stockroom/outbox";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { startRetentionWorker } from "@stockroom/retention";
import { startTelemetry } from "@stockroom/telemetry/sdk";
import servicePackage from "../package.json" with { type: "json" };
import { buildUseCases } from "./app/build-use-cases.ts";
import { createUseCaseDeps } from "./app/use-case-deps.ts";
import { loadWarehouseConfig, type WarehouseComponent, type WarehouseConfig } from "./config.ts";
import type { WarehouseDatabase } from "./data/database.ts";
import { createWarehouseHandler, WAREHOUSE_POLICY } from "./transport/grpc/warehouse.handler.ts";
import {
  createWarehouseAdminHandler,
  WAREHOUSE_ADMIN_POLICY,
} from "./transport/grpc/warehouse-admin.handler.ts";
import { createWarehouseMetrics, registerOverdueReservations } from "./warehouse-metrics.ts";
import { createExpirySweeper } from "./workers/expiry-sweeper.ts";

const SERVICE = "warehouse";
const VERSION = servicePackage.version;
const MIGRATIONS = fileURLToPath(new URL("../../../migrations/warehouse", import.meta.url));

async function main(config: WarehouseConfig): Promise<void> {
  // Traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; off otherwise.
  const telemetry = startTelemetry(SERVICE);
  const logger = createLogger({ service: SERVICE, version: VERSION, level: config.LOG_LEVEL });
  const { pool, db } = await openServiceDatabase<WarehouseDatabase>({
    config,
    service: SERVICE,
    migrations: MIGRATIONS,
    logger,
  });
  // Reserve batches run on connections of their own in pipeline mode: a batch's BEGIN leaves with its
  // first statement instead of costing a round trip, and a batch is always in flight under load. (Only
  // those transactions: a pipelined pool refuses cursors.)
  const reservePool = createPool({
    connectionString: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    max: config.RESERVE_BATCH_CONCURRENCY,
    statementTimeoutMillis: config.DB_STATEMENT_TIMEOUT,
    applicationName: `${SERVICE}-reserve`,
    pipeline: true,
    logger,
  });

  const registry = createMetricsRegistry({ service: SERVICE });
  const metrics = createWarehouseMetrics(registry);
  registerPoolMetrics(registry, pool);
  registerPoolMetrics(registry, reservePool, "reserve");
  const databaseReady = async () => {
    await pool.query("SELECT 1");
    return true;
  };
  const verifier = tokenVerifierFromConfig(config);
  const server = createGrpcServer({ logger, registry, verifier, readiness: databaseReady });
  // An api process is ready once gRPC is bound and the database answers, and not while it drains;
  // worker-only processes once the database answers.
  const metricsServer = await startMetricsServer({
    port: config.METRICS_PORT,
    registry,
    readiness: () => (config.COMPONENTS.includes("api") ? server.ready() : databaseReady()),
  });

  const useCases = buildUseCases(createUseCaseDeps(db, { metrics }), {
    ttlPolicy: config.ttlPolicy,
    batching: {
      maxBatch: config.RESERVE_BATCH_MAX,
      concurrency: config.RESERVE_BATCH_CONCURRENCY,
      lingerMs: config.RESERVE_BATCH_LINGER_MS,
    },
    reserveDeps: createUseCaseDeps(createDb<WarehouseDatabase>(reservePool), { metrics }),
  });

  server.register(
    WarehouseService,
    createWarehouseHandler(useCases.warehouse, config.ttlPolicy),
    WAREHOUSE_POLICY,
  );
  server.register(WarehouseAdminService, createWarehouseAdminHandler(useCases.admin), WAREHOUSE_ADMIN_POLICY);

  const runs = (component: WarehouseComponent) => config.COMPONENTS.includes(component);
  if (runs("api")) registerOverdueReservations(registry, useCases.expiry.countOverdue);
  // Topics first (the broker does not auto-create them), then the relay that publishes the outbox.
  const relay = runs("relay") ? await startRelay(config, pool, logger, registry) : undefined;
  const sweeper = runs("sweeper")
    ? createExpirySweeper({
        expire: useCases.expiry.expire,
        oldestActiveAgeSeconds: useCases.expiry.oldestActiveReservationAge,
        onOldestAge: (seconds) => metrics.oldestActiveReservationSeconds.set(seconds),
        onSwept: () => metrics.sweepLastSuccess.setToCurrentTime(),
        context: { producer: SERVICE, actor: "system:expiry-sweeper", principal: SYSTEM_PRINCIPAL },
        logger,
        batchSize: config.EXPIRY_BATCH_SIZE,
        intervalMs: config.EXPIRY_SWEEP_INTERVAL_MS,
      })
    : undefined;
  sweeper?.start();
  const retention = runs("sweeper")
    ? startRetentionWorker({ config, db, schema: config.DB_SCHEMA, logger, registry })
    : undefined;
  const api = runs("api")
    ? await startApiServers(server, {
        logger,
        grpcPort: config.GRPC_PORT,
        httpPort: config.HTTP_PORT,
        corsAllowedOrigins: config.CORS_ALLOWED_ORIGINS,
      })
    : undefined;
  logger.info(
    {
      components: config.COMPONENTS,
      grpcPort: api?.grpcPort,
      httpPort: api?.httpPort,
      metricsPort: metricsServer.port,
      schema: config.DB_SCHEMA,
    },
    "warehouse started",
  );

  installSignalHandlers(
    {
      // Stop taking new work first: the sweeper's batch in flight finishes before the server drains.
      shutdown: async (graceMs) => {
        await Promise.all([sweeper?.stop(), relay?.stop(), retention?.stop()]);
        await api?.shutdown(graceMs);
      },
    },
    logger,
    {
      graceMs: config.SHUTDOWN_GRACE_MS,
      onShutdown: async () => {
        await metricsServer.close();
        await Promise.all([pool.end(), reservePool.end()]);
        await telemetry.shutdown();
      },
    },
  );
}

async function startRelay(
  config: WarehouseConfig,
  pool: Pool,
  logger: Logger,
  registry: Registry,
): Promise<OutboxRelay> {
  const kafka = createKafkaClient({ clientId: SERVICE, brokers: config.KAFKA_BROKERS, logger });
  return startOutboxRelay({
    config,
    kafka,
    pool,
    schema: config.DB_SCHEMA,
    logger,
    registry,
    topics: [WAREHOUSE_STOCK_TOPIC, WAREHOUSE_RESERVATION_TOPIC],
  });
}

let config: WarehouseConfig;
try {
  config = loadWarehouseConfig();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
await main(config).catch((err: unknown) => {
  process.stderr.write(
    `warehouse failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
