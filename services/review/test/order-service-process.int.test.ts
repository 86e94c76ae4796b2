// Against the real order service (its process, node src/main.ts, on a schema of its own): VerifyPurchase
// over gRPC with the review service's own client and service token. A customer the order service knows
// no delivered line of is not verified; after the order process is SIGKILLed, nothing is verified either
// (the call fails, the breaker opens, the answer stays "not verified").

import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isAppError } from "@stockroom/errors";
import { createTestSchema, type TestSchema, uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderPurchasesClient } from "../src/transport/grpc/order-purchases.client.ts";
import { TEST_JWT } from "./support/order-service-double.ts";
import { createReviewFixture, customer, type ReviewFixture } from "./support/review-fixture.ts";
import { freePort } from "./support/service-process.ts";

const ORDER_DIR = fileURLToPath(new URL("../../order", import.meta.url));

let orderSchema: TestSchema;
let order: ChildProcess;
let output = "";
let client: ReturnType<typeof createOrderPurchasesClient>;
let f: ReviewFixture;
const verifyErrors: unknown[] = [];

beforeAll(async () => {
  orderSchema = await createTestSchema();
  const [grpc, http, metrics, webhook, unused] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  order = spawn(process.execPath, ["src/main.ts"], {
    cwd: ORDER_DIR,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ORDER_DATABASE_URL: orderSchema.connectionString,
      ORDER_DB_SCHEMA: orderSchema.schema,
      ORDER_GRPC_PORT: String(grpc),
      ORDER_HTTP_PORT: String(http),
      ORDER_METRICS_PORT: String(metrics),
      ORDER_WEBHOOK_PORT: String(webhook),
      // Not called by VerifyPurchase.
      ORDER_WAREHOUSE_GRPC_ADDRESS: `127.0.0.1:${unused}`,
      ORDER_CATALOG_GRPC_ADDRESS: `127.0.0.1:${unused}`,
      ORDER_PAYMENT_SANDBOX_URL: `http://127.0.0.1:${unused}`,
      ORDER_PAYMENT_SANDBOX_WEBHOOK_SECRET: "whsec_test_0123456789abcdef",
      ORDER_JWT_SECRET: TEST_JWT.secret,
      ORDER_KAFKA_BROKERS: process.env.TEST_KAFKA_BROKERS ?? "127.0.0.1:9092",
      ORDER_OUTBOX_TOPIC_PREFIX: `revorder${uniqueSuffix()}.`,
      ORDER_TOPIC_PARTITIONS: "1",
      ORDER_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  order.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  order.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!output.includes('"order started"')) {
    if (order.exitCode !== null) throw new Error(`order process exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`order process did not start: ${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  client = createOrderPurchasesClient({
    address: `127.0.0.1:${grpc}`,
    jwt: TEST_JWT,
    deadlineMs: 2_000,
    breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000 },
  });
  f = await createReviewFixture({ orderPurchases: client, onVerifyError: (err) => verifyErrors.push(err) });
}, 120_000);

afterAll(async () => {
  client?.close();
  if (order && order.exitCode === null && order.signalCode === null) {
    const exited = new Promise((r) => order.once("exit", r));
    order.kill("SIGKILL");
    await exited;
  }
  await f?.cleanup();
  await orderSchema?.drop();
});

let n = 0;
async function submitReason(who: string) {
  n += 1;
  const err = await f.useCases.reviews
    .submitReview(
      { idempotencyKey: `k-${n}`, sku: "REAL-1", rating: 5, title: "", body: `b ${n}`, language: "" },
      customer(who),
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return isAppError(err) ? err.reason : err;
}

describe("VerifyPurchase of the real order service", () => {
  it("answers not verified for a customer without a delivered line, and the review is refused", async () => {
    expect(await client.deliveredLines("nobody", "REAL-1")).toEqual([]);
    expect(await submitReason("nobody")).toBe(501);
    expect(verifyErrors).toEqual([]);
  });

  it("verifies nothing once the order process is killed", async () => {
    const exited = new Promise((r) => order.once("exit", r));
    order.kill("SIGKILL");
    await exited;
    for (let i = 0; i < 6; i++) expect(await submitReason(`after-kill-${i}`)).toBe(501);
    expect(verifyErrors.length).toBe(6);
    expect(client.breakerState()).toBe("open");
    expect(await f.q("SELECT count(*)::int AS n FROM reviews")).toEqual([{ n: 0 }]);
  });
});
