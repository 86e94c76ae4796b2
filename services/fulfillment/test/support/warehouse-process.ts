// A real warehouse for the fulfillment's integration tests: services/warehouse run as its own process
// (its API only) on a throwaway schema it migrates itself, and an admin client to seed it.
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, type TypedClient } from "@stockroom/grpc";
import { spawnBenchService, stopChild, waitUntilReady } from "@stockroom/loadgen";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { createTestSchema, requireTestEnv } from "@stockroom/testkit";

const WAREHOUSE_DIR = fileURLToPath(new URL("../../../warehouse", import.meta.url));

export const TEST_JWT = {
  secret: process.env.JWT_SECRET ?? "dev-only-secret-change-me-0123456789abcdef",
  issuer: "stockroom",
  audience: "stockroom",
};

export interface WarehouseProcess {
  address: string;
  schema: string;
  warehouse: TypedClient<typeof WarehouseService>;
  admin: TypedClient<typeof WarehouseAdminService>;
  stop(): Promise<void>;
}

// A port the kernel just handed out and released: free for the child to bind.
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export async function startWarehouseProcess(): Promise<WarehouseProcess> {
  // An empty schema with a unique name (and its drop); the warehouse migrates it at start-up.
  const schema = await createTestSchema();
  const grpcPort = await freePort();
  const child = spawnBenchService(WAREHOUSE_DIR, {
    DATABASE_URL: requireTestEnv("TEST_DATABASE_URL"),
    WAREHOUSE_DB_SCHEMA: schema.schema,
    WAREHOUSE_GRPC_PORT: String(grpcPort),
    WAREHOUSE_METRICS_PORT: String(await freePort()),
    WAREHOUSE_HTTP_PORT: String(await freePort()),
    WAREHOUSE_COMPONENTS: "api",
    WAREHOUSE_LOG_LEVEL: "warn",
    JWT_SECRET: TEST_JWT.secret,
    STOCKROOM_ENV: "development",
  });
  const address = `127.0.0.1:${grpcPort}`;
  const issuer = createTokenIssuer(TEST_JWT);
  const token = () => issuer.issue({ subject: "fulfillment-test", roles: ["admin"], ttlSec: 600 });
  const warehouse = createClient(WarehouseService, address, { token, defaultDeadlineMs: 10_000 });
  const admin = createClient(WarehouseAdminService, address, { token, defaultDeadlineMs: 10_000 });
  try {
    await waitUntilReady(() => admin.listWarehouses({}, { deadlineMs: 1_000 }), {
      attempts: 60,
      intervalMs: 500,
    });
  } catch (err) {
    await stopChild(child);
    await schema.drop();
    throw err;
  }
  return {
    address,
    schema: schema.schema,
    warehouse,
    admin,
    async stop() {
      warehouse.close();
      admin.close();
      await stopChild(child);
      await schema.drop();
    },
  };
}
