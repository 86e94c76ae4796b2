// Composition root of the sandbox gateway: config → logger → pool (migrated) → gateway → HTTP server and
// webhook dispatcher. SIGTERM/SIGINT stop them; the state stays in PostgreSQL for the next start.
import { fileURLToPath } from "node:url";
import { createPool, migrate } from "@stockroom/db";
import { createLogger } from "@stockroom/logging";
import { loadSandboxConfig } from "./config.ts";
import { createGateway } from "./gateway.ts";
import { startHttpServer } from "./http-server.ts";
import { startWebhookDispatcher } from "./webhook-dispatcher.ts";

const SERVICE = "payment-sandbox";
const MIGRATIONS = fileURLToPath(new URL("../../../migrations/payment-sandbox", import.meta.url));

async function main(): Promise<void> {
  const config = loadSandboxConfig();
  const logger = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    max: 10,
    applicationName: SERVICE,
    logger,
  });
  await migrate({ pool, schema: config.DB_SCHEMA, directory: MIGRATIONS, logger });
  const gateway = createGateway({
    pool,
    webhooksEnabled: config.WEBHOOK_URL !== undefined,
    hangMs: config.HANG_MS,
    lateWebhookDelayMs: config.LATE_WEBHOOK_DELAY_MS,
  });
  const http = await startHttpServer(gateway, logger, config.HTTP_PORT);
  const dispatcher = config.WEBHOOK_URL
    ? startWebhookDispatcher({
        pool,
        url: config.WEBHOOK_URL,
        secret: config.WEBHOOK_SECRET,
        logger,
        pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
      })
    : undefined;
  logger.info(
    { port: http.port, schema: config.DB_SCHEMA, webhookUrl: config.WEBHOOK_URL },
    "payment sandbox listening",
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "shutting down");
    void (async () => {
      await http.close();
      await dispatcher?.stop();
      await pool.end();
      process.exit(0);
    })();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `payment-sandbox failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
