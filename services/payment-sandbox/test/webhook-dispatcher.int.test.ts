// The sandbox's webhook dispatcher against a real PostgreSQL schema and a real HTTP receiver: while a
// webhook is being sent no transaction of the dispatcher is open and its row is not locked (claim, send,
// mark); a failed send is retried and then marked delivered; two dispatchers at once send each delivery
// once; a dispatcher stopped mid-batch hands the rest back, and another sends them, once each.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createPool, type Pool } from "@stockroom/db";
import { createLogger } from "@stockroom/logging";
import { createTestSchema, type TestSchema, uniqueSuffix } from "@stockroom/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { insertDeliveries } from "../src/sandbox.repo.ts";
import { startWebhookDispatcher, type WebhookDispatcher } from "../src/webhook-dispatcher.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/payment-sandbox", import.meta.url));
const APP = `dispatcher-test-${uniqueSuffix()}`;
let schema: TestSchema;
let dispatcherPool: Pool;
let receiver: Server;
let url: string;
let handle: (eventId: string) => Promise<number> = async () => 200;
const received: string[] = [];
const running: WebhookDispatcher[] = [];

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
  dispatcherPool = createPool({
    connectionString: schema.connectionString,
    schema: schema.schema,
    applicationName: APP,
    max: 4,
  });
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const eventId = (JSON.parse(body) as { id: string }).id;
      received.push(eventId);
      void handle(eventId).then((statusCode) => {
        res.statusCode = statusCode;
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/sandbox`;
}, 60_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
  received.length = 0;
  handle = async () => 200;
  await schema.pool.query("DELETE FROM webhook_deliveries");
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await dispatcherPool?.end();
  await schema?.drop();
});

function dispatcher(): WebhookDispatcher {
  const started = startWebhookDispatcher({
    pool: dispatcherPool,
    url,
    secret: "whsec_dispatcher_test_0123456789",
    logger: createLogger({ service: "dispatcher-test", level: "silent" }),
    pollIntervalMs: 20,
    timeoutMs: 2_000,
    maxAttempts: 5,
    batchSize: 8,
  });
  running.push(started);
  return started;
}

async function plan(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => `evt_${randomBytes(16).toString("hex")}`);
  await insertDeliveries(
    schema.pool,
    ids.map((eventId) => ({
      eventId,
      eventType: "payment_intent.succeeded",
      payload: { id: eventId },
      deliverAt: new Date(),
    })),
  );
  return ids;
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function deliveries() {
  const { rows } = await schema.pool.query<{
    event_id: string;
    attempts: number;
    delivered: boolean;
    last_error: string | null;
  }>(
    "SELECT event_id, attempts, delivered_at IS NOT NULL AS delivered, last_error FROM webhook_deliveries ORDER BY delivery_id",
  );
  return rows;
}

describe("webhook dispatcher", () => {
  it("holds no transaction and no row lock while it sends; marks the delivery after", async () => {
    const seen: { openTransactions: number; lockable: boolean }[] = [];
    handle = async () => {
      const { rows } = await schema.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL",
        [APP],
      );
      const client = await schema.pool.connect();
      let lockable = true;
      try {
        await client.query("BEGIN");
        await client.query("SELECT 1 FROM webhook_deliveries FOR UPDATE NOWAIT");
      } catch {
        lockable = false;
      } finally {
        await client.query("ROLLBACK");
        client.release();
      }
      seen.push({ openTransactions: rows[0]?.n ?? -1, lockable });
      return 200;
    };
    const [eventId] = await plan(1);
    dispatcher();
    await until(async () => (await deliveries())[0]?.delivered === true);
    expect(seen).toEqual([{ openTransactions: 0, lockable: true }]);
    expect(await deliveries()).toEqual([
      { event_id: eventId, attempts: 1, delivered: true, last_error: null },
    ]);
  });

  it("retries a failed send and marks it delivered once it succeeds", async () => {
    const failures = new Set<string>();
    handle = async (eventId) => {
      if (failures.has(eventId)) return 200;
      failures.add(eventId);
      return 503;
    };
    const [eventId] = await plan(1);
    dispatcher();
    await until(async () => (await deliveries())[0]?.delivered === true);
    expect(received).toEqual([eventId, eventId]);
    expect(await deliveries()).toEqual([
      { event_id: eventId, attempts: 2, delivered: true, last_error: null },
    ]);
  });

  it("two dispatchers at once send each delivery once", async () => {
    const ids = await plan(40);
    dispatcher();
    dispatcher();
    await until(async () => (await deliveries()).every((d) => d.delivered));
    expect([...received].sort()).toEqual([...ids].sort());
    expect((await deliveries()).map((d) => d.attempts)).toEqual(ids.map(() => 1));
  });

  it("stopped mid-batch, it hands the rest back: another dispatcher sends them, each once", async () => {
    handle = () => new Promise((resolve) => setTimeout(() => resolve(200), 150));
    const ids = await plan(6);
    const first = dispatcher();
    await until(async () => received.length >= 1);
    await first.stop();
    const sentByFirst = received.length;
    expect(sentByFirst).toBeLessThan(ids.length);
    // Handed back: due now, not when the claim would have lapsed.
    const { rows } = await schema.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM webhook_deliveries WHERE delivered_at IS NULL AND deliver_at <= now()",
    );
    expect(rows[0]?.n).toBe(ids.length - sentByFirst);
    dispatcher();
    await until(async () => (await deliveries()).every((d) => d.delivered));
    expect([...received].sort()).toEqual([...ids].sort());
  });
});
