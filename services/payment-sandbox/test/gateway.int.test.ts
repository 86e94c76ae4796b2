// The sandbox gateway as its own process (node src/main.ts) against real PostgreSQL: every test card,
// idempotency keys, capture / void / refund rules, signed webhooks (late, duplicate, retried) and a
// restart that keeps its state.
import { fileURLToPath } from "node:url";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SandboxProcess, startSandboxProcess } from "../src/sandbox-process.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../src/webhook-receiver.ts";
import { signatureValid } from "./support/webhook-signature-check.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/payment-sandbox", import.meta.url));
const SECRET = "whsec_test_0123456789abcdef";
const HANG_MS = 1500;
const LATE_MS = 1500;
const CARD = {
  approve: "4242424242424242",
  decline: "4000000000000002",
  timeoutThenApprove: "4000000000000101",
  timeoutUnknown: "4000000000000119",
  late: "4000000000000200",
  duplicate: "4000000000000218",
};

let schema: TestSchema;
let receiver: WebhookReceiver;
let sandbox: SandboxProcess;
let keyCounter = 0;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
  receiver = await startWebhookReceiver();
  sandbox = await startSandboxProcess({
    databaseUrl: schema.connectionString,
    schema: schema.schema,
    webhookSecret: SECRET,
    webhookUrl: receiver.url,
    hangMs: HANG_MS,
    lateWebhookDelayMs: LATE_MS,
    webhookPollIntervalMs: 50,
  });
});

afterAll(async () => {
  await sandbox?.stop();
  await receiver?.close();
  await schema?.drop();
});

function newKey(): string {
  keyCounter += 1;
  return `test-${process.pid}-${keyCounter}`;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(path: string, body: unknown, key?: string, timeoutMs = 10_000): Promise<Answer> {
  const response = await fetch(`${sandbox.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(path: string): Promise<Answer> {
  const response = await fetch(`${sandbox.baseUrl}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function authorize(card: string, key = newKey(), amount = 5000, extra: Record<string, unknown> = {}) {
  return post(
    "/v1/payment_intents",
    { amount, currency: "EUR", payment_method: card, customer: "c-1", reference: key, ...extra },
    key,
  );
}

function eventsOf(intentId: string) {
  return receiver.received.filter((w) => {
    const object = w.event.data.object;
    return object.id === intentId || object.payment_intent === intentId;
  });
}

describe("payment sandbox", () => {
  it("authorizes, captures part, refunds in parts up to what was captured, and signs each webhook", async () => {
    const created = await authorize(CARD.approve);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      status: "requires_capture",
      amount_capturable: 5000,
      currency: "eur",
    });
    const id = created.body.id as string;

    const captured = await post(`/v1/payment_intents/${id}/capture`, { amount_to_capture: 4000 }, newKey());
    expect(captured.body).toMatchObject({ status: "succeeded", amount_received: 4000, amount_capturable: 0 });

    const first = await post("/v1/refunds", { payment_intent: id, amount: 1500 }, newKey());
    const second = await post("/v1/refunds", { payment_intent: id, amount: 2500 }, newKey());
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await post("/v1/refunds", { payment_intent: id, amount: 1 }, newKey());
    expect(third.status).toBe(400);
    expect(third.body.error).toMatchObject({ code: "charge_already_refunded" });
    expect((await get(`/v1/payment_intents/${id}`)).body).toMatchObject({ amount_refunded: 4000 });

    const events = await receiver.waitFor(() => eventsOf(id).length >= 4);
    expect(eventsOf(id).map((w) => w.event.type)).toEqual([
      "payment_intent.amount_capturable_updated",
      "payment_intent.succeeded",
      "charge.refunded",
      "charge.refunded",
    ]);
    for (const webhook of eventsOf(id)) {
      expect(webhook.event.id).toMatch(/^evt_[0-9a-f]{32}$/);
      expect(signatureValid(webhook.headers["sandbox-signature"] as string, webhook.rawBody, SECRET)).toBe(
        true,
      );
      expect(
        signatureValid(webhook.headers["sandbox-signature"] as string, webhook.rawBody, "whsec_other_secret"),
      ).toBe(false);
      expect(
        signatureValid(webhook.headers["sandbox-signature"] as string, `${webhook.rawBody} `, SECRET),
      ).toBe(false);
    }
    expect(events.length).toBeGreaterThanOrEqual(4);
  });

  it("refuses a refund above the refundable amount and a capture above the authorization", async () => {
    const id = (await authorize(CARD.approve, newKey(), 1000)).body.id as string;
    const tooMuch = await post(`/v1/payment_intents/${id}/capture`, { amount_to_capture: 1001 }, newKey());
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error).toMatchObject({ code: "amount_too_large", param: "amount_to_capture" });
    expect((await get(`/v1/payment_intents/${id}`)).body).toMatchObject({ status: "requires_capture" });
    const early = await post("/v1/refunds", { payment_intent: id, amount: 100 }, newKey());
    expect(early.body.error).toMatchObject({ code: "charge_not_refundable" });
    await post(`/v1/payment_intents/${id}/capture`, {}, newKey());
    const over = await post("/v1/refunds", { payment_intent: id, amount: 1001 }, newKey());
    expect(over.body.error).toMatchObject({ code: "amount_too_large", param: "amount" });
    const full = await post("/v1/refunds", { payment_intent: id }, newKey());
    expect(full.body).toMatchObject({ amount: 1000, status: "succeeded" });
  });

  it("voids an authorization; a voided intent can no longer be captured", async () => {
    const id = (await authorize(CARD.approve)).body.id as string;
    const voided = await post(`/v1/payment_intents/${id}/cancel`, {}, newKey());
    expect(voided.body).toMatchObject({ status: "canceled", amount_capturable: 0 });
    const capture = await post(`/v1/payment_intents/${id}/capture`, {}, newKey());
    expect(capture.status).toBe(400);
    expect(capture.body.error).toMatchObject({ code: "payment_intent_unexpected_state" });
    await receiver.waitFor(() => eventsOf(id).some((w) => w.event.type === "payment_intent.canceled"));
  });

  it("declines the decline card with 402 and a payment_failed webhook", async () => {
    const declined = await authorize(CARD.decline);
    expect(declined.status).toBe(402);
    const intent = (declined.body.error as { payment_intent: Record<string, unknown> }).payment_intent;
    expect(intent).toMatchObject({
      status: "requires_payment_method",
      last_payment_error: { code: "card_declined" },
    });
    await receiver.waitFor(() =>
      eventsOf(intent.id as string).some((w) => w.event.type === "payment_intent.payment_failed"),
    );
  });

  it("refuses an unknown card and a create without an Idempotency-Key, naming the parameter", async () => {
    const unknown = await authorize("4111111111111111");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: "payment_method_invalid", param: "payment_method" });
    const noKey = await post("/v1/payment_intents", {
      amount: 1,
      currency: "EUR",
      payment_method: CARD.approve,
    });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error).toMatchObject({ code: "idempotency_key_required" });
    const badAmount = await authorize(CARD.approve, newKey(), -5);
    expect(badAmount.body.error).toMatchObject({ param: "amount" });
  });

  it("answers the same key and body with the first answer, and the same key with another body with 409", async () => {
    const key = newKey();
    const first = await authorize(CARD.approve, key, 700);
    const again = await authorize(CARD.approve, key, 700);
    expect(again).toEqual(first);
    const other = await authorize(CARD.approve, key, 701);
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ type: "idempotency_error" });
    const declineKey = newKey();
    const declined = await authorize(CARD.decline, declineKey);
    expect(await authorize(CARD.decline, declineKey)).toEqual(declined);
  });

  it("makes one intent of ten concurrent creates with one key", async () => {
    const key = newKey();
    const answers = await Promise.all(Array.from({ length: 10 }, () => authorize(CARD.approve, key, 900)));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const { rows } = await schema.pool.query(
      "SELECT count(*)::int AS n FROM payment_intents WHERE idempotency_key = $1",
      [key],
    );
    expect(rows[0].n).toBe(1);
  });

  it("timeout-then-approve: the first call outlives the client's timeout, the intent is approved, a retry with the key answers at once", async () => {
    const key = newKey();
    await expect(authorizeWithTimeout(CARD.timeoutThenApprove, key, 300)).rejects.toThrow();
    const started = Date.now();
    const retried = await authorize(CARD.timeoutThenApprove, key);
    expect(Date.now() - started).toBeLessThan(HANG_MS);
    expect(retried.body).toMatchObject({ status: "requires_capture" });
    const found = await get(`/v1/payment_intents?idempotency_key=${encodeURIComponent(key)}`);
    expect((found.body.data as Record<string, unknown>[])[0]?.id).toBe(retried.body.id);
  });

  it("timeout-unknown: processing until retrieved, then approved with its webhook", async () => {
    const key = newKey();
    await expect(authorizeWithTimeout(CARD.timeoutUnknown, key, 300)).rejects.toThrow();
    const replay = await authorize(CARD.timeoutUnknown, key);
    expect(replay.body).toMatchObject({ status: "processing" });
    const id = replay.body.id as string;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsOf(id)).toEqual([]);
    const found = await get(`/v1/payment_intents?idempotency_key=${encodeURIComponent(key)}`);
    expect((found.body.data as Record<string, unknown>[])[0]).toMatchObject({
      id,
      status: "requires_capture",
    });
    expect((await get(`/v1/payment_intents/${id}`)).body).toMatchObject({ status: "requires_capture" });
    const events = await receiver.waitFor(() => eventsOf(id).length >= 1);
    expect(events.filter((w) => w.event.data.object.id === id).map((w) => w.event.type)).toEqual([
      "payment_intent.amount_capturable_updated",
    ]);
  });

  it("late webhook: sent only after the configured delay", async () => {
    const created = await authorize(CARD.late);
    const createdAt = Date.now();
    const id = created.body.id as string;
    await new Promise((resolve) => setTimeout(resolve, LATE_MS / 2));
    expect(eventsOf(id)).toEqual([]);
    await receiver.waitFor(() => eventsOf(id).length === 1);
    expect(eventsOf(id)[0]?.receivedAt ?? 0).toBeGreaterThanOrEqual(createdAt + LATE_MS - 1000);
  });

  it("duplicate webhook: every event delivered twice with the same event id", async () => {
    const id = (await authorize(CARD.duplicate)).body.id as string;
    await post(`/v1/payment_intents/${id}/capture`, {}, newKey());
    await receiver.waitFor(() => eventsOf(id).length === 4);
    const ids = eventsOf(id).map((w) => w.event.id);
    expect(new Set(ids).size).toBe(2);
    for (const eventId of new Set(ids)) expect(ids.filter((i) => i === eventId)).toHaveLength(2);
  });

  it("retries a webhook the receiver failed", async () => {
    const key = newKey();
    receiver.failNext(2, `"reference":"${key}"`);
    const id = (await authorize(CARD.approve, key)).body.id as string;
    await receiver.waitFor(() => eventsOf(id).length === 1, 15_000);
    // The dispatcher marks the delivery after the receiver answered: wait for its commit.
    const deadline = Date.now() + 5_000;
    let row: { attempts: number; delivered: boolean } | undefined;
    while (!row?.delivered && Date.now() < deadline) {
      const { rows } = await schema.pool.query(
        `SELECT attempts, delivered_at IS NOT NULL AS delivered FROM webhook_deliveries
         WHERE payload->'data'->'object'->>'id' = $1`,
        [id],
      );
      row = rows[0];
      if (!row?.delivered) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(row).toEqual({ attempts: 3, delivered: true });
  });

  it("keeps intents, stored answers and pending late webhooks across a restart (SIGKILL)", async () => {
    const key = newKey();
    const created = await authorize(CARD.late, key);
    const id = created.body.id as string;
    await sandbox.kill("SIGKILL");
    await sandbox.restart();
    expect(await authorize(CARD.late, key)).toEqual(created);
    expect((await get(`/v1/payment_intents/${id}`)).body).toMatchObject({ id, status: "requires_capture" });
    await receiver.waitFor(() => eventsOf(id).length === 1, 10_000);
  });
});

async function authorizeWithTimeout(card: string, key: string, timeoutMs: number): Promise<Answer> {
  return post(
    "/v1/payment_intents",
    { amount: 5000, currency: "EUR", payment_method: card, customer: "c-1", reference: key },
    key,
    timeoutMs,
  );
}
