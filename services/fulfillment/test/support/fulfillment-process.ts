// The fulfillment service as its own process (node src/main.ts) on a given schema, with free ports and
// the components asked for (without the consumer it touches no topic), for tests that kill it (SIGKILL)
// and start it again.

import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, type TypedClient } from "@stockroom/grpc";
import { spawnBenchService, stopChild, waitUntilReady } from "@stockroom/loadgen";
import { FulfillmentService } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_service_pb.js";
import { requireTestEnv } from "@stockroom/testkit";
import { TEST_JWT } from "./warehouse-process.ts";

const FULFILLMENT_DIR = fileURLToPath(new URL("../..", import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface FulfillmentProcess {
  child: ChildProcess;
  client: TypedClient<typeof FulfillmentService>;
  // SIGKILL: no shutdown hook runs, nothing in flight is finished.
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFulfillmentProcess(options: {
  schema: string;
  warehouseAddress: string;
  components: string;
  commandIntervalMs: number;
}): Promise<FulfillmentProcess> {
  const grpcPort = await freePort();
  const child = spawnBenchService(FULFILLMENT_DIR, {
    DATABASE_URL: requireTestEnv("TEST_DATABASE_URL"),
    KAFKA_BROKERS: requireTestEnv("TEST_KAFKA_BROKERS"),
    FULFILLMENT_DB_SCHEMA: options.schema,
    FULFILLMENT_GRPC_PORT: String(grpcPort),
    FULFILLMENT_HTTP_PORT: String(await freePort()),
    FULFILLMENT_METRICS_PORT: String(await freePort()),
    FULFILLMENT_WAREHOUSE_GRPC_ADDRESS: options.warehouseAddress,
    // No catalog in these tests: weights unknown, every package is held for QC.
    FULFILLMENT_CATALOG_GRPC_ADDRESS: "127.0.0.1:9",
    FULFILLMENT_COMPONENTS: options.components,
    FULFILLMENT_COMMAND_INTERVAL_MS: String(options.commandIntervalMs),
    FULFILLMENT_LOG_LEVEL: "warn",
    JWT_SECRET: TEST_JWT.secret,
    STOCKROOM_ENV: "development",
  });
  const issuer = createTokenIssuer(TEST_JWT);
  const client = createClient(FulfillmentService, `127.0.0.1:${grpcPort}`, {
    token: () => issuer.issue({ subject: "kill-test-ops", roles: ["ops"], ttlSec: 600 }),
    defaultDeadlineMs: 20_000,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (options.components.includes("api")) {
    try {
      await waitUntilReady(() => client.listFulfillmentOrders({}, { deadlineMs: 1_000 }), {
        attempts: 60,
        intervalMs: 500,
      });
    } catch (err) {
      await stopChild(child);
      throw err;
    }
  }
  return {
    child,
    client,
    async kill() {
      client.close();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      client.close();
      await stopChild(child);
    },
  };
}
