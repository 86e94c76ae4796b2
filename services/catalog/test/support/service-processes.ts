// The warehouse and the catalog as real processes (node src/main.ts), each with schemas, topics, a
// consumer group and ports of its own, their stdout and stderr kept line by line for the test to read.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, type TypedClient } from "@stockroom/grpc";
import { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { requireTestEnv, uniqueSuffix } from "@stockroom/testkit";
import pg from "pg";

const SERVICES_DIR = fileURLToPath(new URL("../../../", import.meta.url));
const JWT_SECRET = "startup-test-secret-startup-test-secret!";

export interface ServiceProcess {
  readonly name: string;
  readonly grpcAddress: string;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves once a stdout line has this msg (or rejects when the process exits first). */
  waitForLog(msg: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface ServicePair {
  readonly warehouseSchema: string;
  readonly catalogSchema: string;
  readonly topicPrefix: string;
  readonly stockTopic: string;
  readonly consumerGroup: string;
  /** The topics the processes create, for cleanup. */
  readonly topics: readonly string[];
  startWarehouse(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  startCatalog(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  warehouseAdmin(process: ServiceProcess): Promise<TypedClient<typeof WarehouseAdminService>>;
  catalogAdmin(process: ServiceProcess): Promise<TypedClient<typeof CatalogAdminService>>;
  /** The catalog's projected availability of a sku (summed over warehouses), 0 when it has none. */
  catalogAvailable(sku: string): Promise<number>;
  /** Drops both schemas (the topics and group are the caller's, with its admin client). */
  dropSchemas(): Promise<void>;
}

export function createServicePair(brokers: readonly string[]): ServicePair {
  const suffix = uniqueSuffix();
  const databaseUrl = requireTestEnv("TEST_DATABASE_URL");
  const warehouseSchema = `t_${suffix}_wh`;
  const catalogSchema = `t_${suffix}_cat`;
  const topicPrefix = `proc${suffix}.`;
  const stockTopic = `${topicPrefix}warehouse.stock.v1`;
  const consumerGroup = `proc-${suffix}`;
  const common = {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(","),
    JWT_SECRET,
    STOCKROOM_ENV: "development",
    LOG_LEVEL: "info",
    TOPIC_PARTITIONS: "2",
    NODE_OPTIONS: "",
  };

  async function start(
    name: "warehouse" | "catalog",
    env: Record<string, string>,
    startedMsg: string,
  ): Promise<ServiceProcess> {
    // Every port the process binds, the Connect (HTTP) port included: a running service holds the defaults.
    const [grpcPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const prefix = name === "warehouse" ? "WAREHOUSE_" : "CATALOG_";
    const ports = {
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(httpPort),
      METRICS_PORT: String(metricsPort),
    };
    const prefixed = Object.fromEntries(
      Object.entries({ ...env, ...ports }).map(([key, value]) => [`${prefix}${key}`, value]),
    );
    const child = spawn(process.execPath, ["src/main.ts"], {
      cwd: `${SERVICES_DIR}${name}`,
      env: { ...process.env, ...common, ...prefixed },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const service = watch(name, child, `127.0.0.1:${grpcPort}`);
    await service.waitForLog(startedMsg, 30_000);
    return service;
  }

  return {
    warehouseSchema,
    catalogSchema,
    topicPrefix,
    stockTopic,
    consumerGroup,
    topics: [
      stockTopic,
      `${stockTopic}.dlq`,
      `${topicPrefix}warehouse.reservation.v1`,
      `${topicPrefix}catalog.product.v1`,
      `${topicPrefix}review.review.v1`,
      `${topicPrefix}review.review.v1.dlq`,
    ],
    startWarehouse: (extraEnv = {}) =>
      start(
        "warehouse",
        { DB_SCHEMA: warehouseSchema, OUTBOX_TOPIC_PREFIX: topicPrefix, ...extraEnv },
        "warehouse started",
      ),
    startCatalog: (extraEnv = {}) =>
      start(
        "catalog",
        {
          DB_SCHEMA: catalogSchema,
          OUTBOX_TOPIC_PREFIX: topicPrefix,
          STOCK_EVENTS_TOPIC: stockTopic,
          STOCK_CONSUMER_GROUP: consumerGroup,
          RATING_EVENTS_TOPIC: `${topicPrefix}review.review.v1`,
          RATING_CONSUMER_GROUP: `${consumerGroup}-rating`,
          CACHE_ENABLED: "false",
          REDIS_URL: "redis://127.0.0.1:6379",
          ...extraEnv,
        },
        "catalog started",
      ),
    async warehouseAdmin(service) {
      const issuer = createTokenIssuer({ secret: JWT_SECRET, issuer: "stockroom", audience: "stockroom" });
      const token = await issuer.issue({ subject: "startup-test", roles: ["admin"], ttlSec: 600 });
      return createClient(WarehouseAdminService, service.grpcAddress, { token, defaultDeadlineMs: 10_000 });
    },
    async catalogAdmin(service) {
      const issuer = createTokenIssuer({ secret: JWT_SECRET, issuer: "stockroom", audience: "stockroom" });
      const token = await issuer.issue({ subject: "process-test", roles: ["admin"], ttlSec: 600 });
      return createClient(CatalogAdminService, service.grpcAddress, { token, retry: { maxAttempts: 1 } });
    },
    async catalogAvailable(sku) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ available: string | null }>(
          `SELECT sum(available) AS available FROM "${catalogSchema}".availability_by_warehouse WHERE sku = $1`,
          [sku],
        );
        return Number(rows[0]?.available ?? 0);
      } catch (err) {
        // The catalog has not migrated its schema yet.
        if ((err as { code?: string }).code === "42P01") return 0;
        throw err;
      } finally {
        await client.end();
      }
    },
    async dropSchemas() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        for (const schema of [warehouseSchema, catalogSchema]) {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        }
      } finally {
        await client.end();
      }
    },
  };
}

function watch(name: string, child: ChildProcess, grpcAddress: string): ServiceProcess {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { msg: string; resolve: () => void }[] = [];
  const collect = (into: string[], onLine?: (line: string) => void) => {
    let partial = "";
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        into.push(line);
        onLine?.(line);
      }
    };
  };
  child.stdout?.on(
    "data",
    collect(stdout, (line) => {
      for (const waiter of [...waiters]) {
        if (line.includes(`"msg":"${waiter.msg}"`)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    }),
  );
  child.stderr?.on("data", collect(stderr));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    name,
    grpcAddress,
    stdout,
    stderr,
    waitForLog(msg, timeoutMs = 15_000) {
      if (stdout.some((line) => line.includes(`"msg":"${msg}"`))) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name}: no "${msg}" log within ${timeoutMs} ms\n${tail(stdout, stderr)}`)),
          timeoutMs,
        );
        waiters.push({
          msg,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code}) before "${msg}"\n${tail(stdout, stderr)}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

function tail(stdout: readonly string[], stderr: readonly string[]): string {
  return [...stdout.slice(-10), ...stderr.slice(-10)].join("\n");
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
