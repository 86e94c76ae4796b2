// The order service with its real neighbours for the CLI's order tests: the warehouse
// (startWarehouseProcess), the catalog and the order service, each `node src/main.ts` as a child process
// on a schema of its own, all signing and checking tokens with one secret. Kafka topics, consumer groups
// and cache keys carry a prefix of this run. Manual payments only (no payment sandbox): bank transfers
// wait for `orders mark-paid`. The saga gives up after 2 attempts 50 ms apart, so a checkout started
// while the warehouse is down reaches needs_attention in a second or two.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  createTestSchema,
  requireTestEnv,
  type TestSchema,
  testKafka,
  uniqueSuffix,
} from "@stockroom/testkit";
import { freePort, JWT_SECRET, startWarehouseProcess, type WarehouseProcess } from "./warehouse-process.ts";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function spawnService(
  name: string,
  env: Record<string, string>,
  startedLine: string,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["src/main.ts"], {
    cwd: `${REPO}services/${name}`,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  return (async () => {
    const deadline = Date.now() + 60_000;
    while (!output.includes(startedLine)) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${name} did not start:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { child, output: () => output, stop };
  })();
}

export interface OrderServices {
  warehouse: WarehouseProcess;
  catalogAddress: string;
  orderAddress: string;
  orderSchema: TestSchema;
  /** SIGKILL of the warehouse, then a new one on its schema and port. */
  crashWarehouse(): Promise<void>;
  restartWarehouse(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOrderServices(): Promise<OrderServices> {
  const suffix = uniqueSuffix();
  const brokers = requireTestEnv("TEST_KAFKA_BROKERS");
  let warehouse = await startWarehouseProcess();
  const warehouseSchema = warehouse.schema;
  const warehousePort = warehouse.port;
  const [catalogSchema, orderSchema] = await Promise.all([
    createTestSchema({ migrations: `${REPO}migrations/catalog`, poolMax: 1 }),
    createTestSchema({ migrations: `${REPO}migrations/order`, poolMax: 2 }),
  ]);
  const [catalogGrpc, catalogHttp, catalogMetrics, orderGrpc, orderMetrics, orderWebhooks] =
    await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const common = {
    DATABASE_URL: requireTestEnv("TEST_DATABASE_URL"),
    KAFKA_BROKERS: brokers,
    JWT_SECRET,
    LOG_LEVEL: "info",
  };
  const started: ServiceProcess[] = [];
  try {
    started.push(
      await spawnService(
        "catalog",
        {
          ...common,
          CATALOG_DB_SCHEMA: catalogSchema.schema,
          CATALOG_GRPC_PORT: String(catalogGrpc),
          CATALOG_HTTP_PORT: String(catalogHttp),
          CATALOG_METRICS_PORT: String(catalogMetrics),
          CATALOG_REDIS_URL: requireTestEnv("TEST_REDIS_URL"),
          CATALOG_CACHE_KEY_PREFIX: `cli${suffix}:`,
          CATALOG_OUTBOX_TOPIC_PREFIX: `cli${suffix}.`,
          CATALOG_STOCK_EVENTS_TOPIC: `cli${suffix}.warehouse.stock.v1`,
          CATALOG_STOCK_CONSUMER_GROUP: `cli${suffix}.catalog`,
          CATALOG_TOPIC_PARTITIONS: "1",
        },
        '"catalog started"',
      ),
    );
    started.push(
      await spawnService(
        "order",
        {
          ...common,
          ORDER_DB_SCHEMA: orderSchema.schema,
          ORDER_GRPC_PORT: String(orderGrpc),
          ORDER_METRICS_PORT: String(orderMetrics),
          ORDER_WEBHOOK_PORT: String(orderWebhooks),
          ORDER_WAREHOUSE_GRPC_ADDRESS: `127.0.0.1:${warehousePort}`,
          ORDER_CATALOG_GRPC_ADDRESS: `127.0.0.1:${catalogGrpc}`,
          ORDER_OUTBOX_TOPIC_PREFIX: `cli${suffix}.`,
          ORDER_TOPIC_PARTITIONS: "1",
          ORDER_SAGA_INTERVAL_MS: "50",
          ORDER_SAGA_MAX_ATTEMPTS: "2",
          ORDER_SAGA_RETRY_BASE_MS: "50",
          ORDER_DEPENDENCY_DEADLINE_MS: "2000",
          ORDER_BREAKER_RESET_MS: "300",
        },
        '"order started"',
      ),
    );
  } catch (err) {
    for (const service of started) await service.stop();
    await warehouse.stop();
    await Promise.all([catalogSchema.drop(), orderSchema.drop()]);
    throw err;
  }
  return {
    get warehouse() {
      return warehouse;
    },
    catalogAddress: `127.0.0.1:${catalogGrpc}`,
    orderAddress: `127.0.0.1:${orderGrpc}`,
    orderSchema,
    crashWarehouse: () => warehouse.crash(),
    async restartWarehouse() {
      warehouse = await startWarehouseProcess({ schema: warehouseSchema, port: warehousePort });
    },
    async stop() {
      for (const service of started.reverse()) await service.stop();
      await warehouse.stop();
      await Promise.all([catalogSchema.drop(), orderSchema.drop()]);
      await deleteTopics(`cli${suffix}.`);
    },
  };
}

// The relays' topics of this run; bounded, it is only tidying.
async function deleteTopics(prefix: string): Promise<void> {
  const admin = testKafka().kafka.admin();
  const tidy = (async () => {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 5_000 });
  })();
  await Promise.race([tidy.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
  await admin.disconnect().catch(() => undefined);
}
