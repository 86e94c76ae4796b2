// A real warehouse for the CLI's tests and benchmark: `node services/warehouse/src/main.ts` as a child
// process on a schema of its own (migrated by the service at start) and ports of its own, API only (no
// relay publishing to Kafka), plus tokens signed with its secret.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createTokenIssuer, type Role } from "@stockroom/auth";
import { createClient } from "@stockroom/grpc";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
export const JWT_SECRET = "cli-test-secret-cli-test-secret-0123456789";

export interface WarehouseProcess {
  readonly address: string;
  readonly port: number;
  readonly schema: TestSchema;
  token(role: Role, subject?: string): Promise<string>;
  /** SIGTERM, then waits for the exit; drops the schema. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash; the schema stays for a warehouse started again on it. */
  crash(): Promise<void>;
}

export interface StartWarehouseOptions {
  poolMax?: number;
  /** Start on this schema and port again (after a crash) instead of new ones. */
  schema?: TestSchema;
  port?: number;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export async function startWarehouseProcess(options: StartWarehouseOptions = {}): Promise<WarehouseProcess> {
  const schema =
    options.schema ?? (await createTestSchema({ migrations: `${REPO}migrations/warehouse`, poolMax: 2 }));
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, ["src/main.ts"], {
    cwd: `${REPO}services/warehouse`,
    env: {
      ...process.env,
      DATABASE_URL: schema.connectionString,
      WAREHOUSE_DB_SCHEMA: schema.schema,
      WAREHOUSE_GRPC_PORT: String(port),
      WAREHOUSE_METRICS_PORT: String(await freePort()),
      WAREHOUSE_HTTP_PORT: String(await freePort()),
      WAREHOUSE_COMPONENTS: "api",
      KAFKA_BROKERS: process.env.TEST_KAFKA_BROKERS ?? "127.0.0.1:9092",
      DB_POOL_MAX: String(options.poolMax ?? 10),
      JWT_SECRET,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const address = `127.0.0.1:${port}`;
  const issuer = createTokenIssuer({ secret: JWT_SECRET, issuer: "stockroom", audience: "stockroom" });
  const token = (role: Role, subject = `cli-test-${role}`) =>
    issuer.issue({ subject, roles: [role], ttlSec: 3600 });
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill(signal);
      await exited;
    }
  };
  const stop = async () => {
    await kill("SIGTERM");
    await schema.drop();
  };
  const client = createClient(WarehouseService, address, { token: await token("ops") });
  try {
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`the warehouse exited with ${child.exitCode}`);
      try {
        await client.getStock({ sku: "WARMUP" });
        break;
      } catch (err) {
        if (attempt > 150) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
  return { address, port, schema, token, stop, crash: () => kill("SIGKILL") };
}
