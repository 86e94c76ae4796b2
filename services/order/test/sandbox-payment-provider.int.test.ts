// The sandbox payment adapter against the real sandbox gateway process: each test card through the
// port (a timeout is `unknown`, settled by retrieve or a retry under the same key, never a new key),
// capture / void / refund, an unreachable provider, and webhooks verified from what the sandbox sent.
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { isAppError } from "@stockroom/errors";
import { type SandboxProcess, startSandboxProcess } from "@stockroom/payment-sandbox/sandbox-process";
import { startWebhookReceiver, type WebhookReceiver } from "@stockroom/payment-sandbox/webhook-receiver";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthorizeRequest, PaymentProvider } from "../src/app/payment-provider.port.ts";
import { money } from "../src/domain/money.ts";
import { createSandboxPaymentProvider } from "../src/transport/payments/sandbox-payment.provider.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/payment-sandbox", import.meta.url));
const SECRET = "whsec_order_test_0123456789";
const HANG_MS = 3000;
// The timeout cards' first answer outlives this client's timeout; every other call gets plenty of time
// (a loaded machine must not turn an approval into "unknown").
const IMPATIENT_TIMEOUT_MS = 500;
const CARD = {
  approve: "4242424242424242",
  decline: "4000000000000002",
  timeoutThenApprove: "4000000000000101",
  timeoutUnknown: "4000000000000119",
  duplicate: "4000000000000218",
};

let schema: TestSchema;
let receiver: WebhookReceiver;
let sandbox: SandboxProcess;
let provider: PaymentProvider;
let impatient: PaymentProvider;
let counter = 0;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
  receiver = await startWebhookReceiver();
  sandbox = await startSandboxProcess({
    databaseUrl: schema.connectionString,
    schema: schema.schema,
    webhookSecret: SECRET,
    webhookUrl: receiver.url,
    hangMs: HANG_MS,
    webhookPollIntervalMs: 50,
  });
  provider = createSandboxPaymentProvider({
    baseUrl: sandbox.baseUrl,
    webhookSecret: SECRET,
    timeoutMs: 10_000,
  });
  impatient = createSandboxPaymentProvider({
    baseUrl: sandbox.baseUrl,
    webhookSecret: SECRET,
    timeoutMs: IMPATIENT_TIMEOUT_MS,
  });
});

afterAll(async () => {
  await sandbox?.stop();
  await receiver?.close();
  await schema?.drop();
});

function request(token: string, overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  counter += 1;
  return {
    idempotencyKey: `checkout-${process.pid}-${counter}:authorize`,
    amount: money(2599, "EUR"),
    method: { type: "card", token },
    customerId: "cust-1",
    reference: `order-${counter}`,
    ...overrides,
  };
}

describe("sandbox payment provider", () => {
  it("authorizes, answers a retry with the same key the same, captures part and refunds in parts", async () => {
    const req = request(CARD.approve);
    const first = await provider.authorize(req);
    expect(first).toMatchObject({ status: "authorized", providerPaymentId: expect.stringMatching(/^pi_/) });
    expect(await provider.authorize(req)).toEqual(first);
    const id = first.providerPaymentId as string;

    const captured = await provider.capture({
      idempotencyKey: `${req.idempotencyKey}:capture`,
      providerPaymentId: id,
      amount: money(2000, "EUR"),
    });
    expect(captured).toEqual({ status: "succeeded", captured: money(2000, "EUR") });

    const r1 = await provider.refund({
      idempotencyKey: "r1",
      providerPaymentId: id,
      amount: money(500, "EUR"),
      reason: "customer_request",
    });
    const r2 = await provider.refund({
      idempotencyKey: "r2",
      providerPaymentId: id,
      amount: money(1500, "EUR"),
      reason: "return",
    });
    expect([r1.status, r2.status]).toEqual(["succeeded", "succeeded"]);
    expect(r1.providerRefundId).not.toBe(r2.providerRefundId);
    const over = await provider.refund({
      idempotencyKey: "r3",
      providerPaymentId: id,
      amount: money(1, "EUR"),
      reason: "x",
    });
    expect(over).toEqual({ status: "failed", failureCode: "charge_already_refunded" });

    expect(await provider.retrieve({ providerPaymentId: id })).toMatchObject({
      status: "captured",
      amount: money(2599, "EUR"),
      captured: money(2000, "EUR"),
      refunded: money(2000, "EUR"),
    });
  });

  it("refunds everything captured when no amount is given, and says how much", async () => {
    const req = request(CARD.approve);
    const id = (await provider.authorize(req)).providerPaymentId as string;
    await provider.capture({ idempotencyKey: `${req.idempotencyKey}:capture`, providerPaymentId: id });
    const full = await provider.refund({
      idempotencyKey: `${req.idempotencyKey}:refund`,
      providerPaymentId: id,
      reason: "",
    });
    expect(full).toMatchObject({ status: "succeeded", refunded: money(2599, "EUR") });
  });

  it("reports a decline with its code", async () => {
    const result = await provider.authorize(request(CARD.decline));
    expect(result).toMatchObject({ status: "declined", declineCode: "card_declined" });
    expect(await provider.retrieve({ providerPaymentId: result.providerPaymentId as string })).toMatchObject({
      status: "declined",
    });
  });

  it("voids an authorization; a capture afterwards fails, it does not throw", async () => {
    const auth = await provider.authorize(request(CARD.approve));
    const id = auth.providerPaymentId as string;
    expect(await provider.void({ idempotencyKey: "v1", providerPaymentId: id })).toEqual({
      status: "succeeded",
    });
    expect(await provider.void({ idempotencyKey: "v1", providerPaymentId: id })).toEqual({
      status: "succeeded",
    });
    expect(await provider.capture({ idempotencyKey: "c-after-void", providerPaymentId: id })).toEqual({
      status: "failed",
      failureCode: "payment_intent_unexpected_state",
    });
    expect(await provider.retrieve({ providerPaymentId: id })).toMatchObject({ status: "voided" });
  });

  it("captures at once when asked (e-wallets)", async () => {
    const result = await provider.authorize(
      request("wallet_approve", {
        method: { type: "e_wallet", token: "wallet_approve" },
        captureImmediately: true,
      }),
    );
    expect(result.status).toBe("captured");
  });

  it("timeout then approve: unknown within the client's timeout, then known by key without a second authorization", async () => {
    const req = request(CARD.timeoutThenApprove);
    const started = Date.now();
    expect(await impatient.authorize(req)).toEqual({ status: "unknown" });
    expect(Date.now() - started).toBeLessThan(HANG_MS);
    const found = await provider.retrieve({ authorizeIdempotencyKey: req.idempotencyKey });
    expect(found).toMatchObject({ status: "authorized", authorized: money(2599, "EUR") });
    const retried = await provider.authorize(req);
    expect(retried).toEqual({ status: "authorized", providerPaymentId: found.providerPaymentId });
    const { rows } = await schema.pool.query(
      "SELECT count(*)::int AS n FROM payment_intents WHERE idempotency_key = $1",
      [req.idempotencyKey],
    );
    expect(rows[0].n).toBe(1);
  });

  it("timeout with outcome unknown: pending on a same-key retry, settled when retrieved", async () => {
    const req = request(CARD.timeoutUnknown);
    expect(await impatient.authorize(req)).toEqual({ status: "unknown" });
    const replay = await provider.authorize(req);
    expect(replay).toMatchObject({ status: "pending", providerPaymentId: expect.stringMatching(/^pi_/) });
    expect(await provider.retrieve({ authorizeIdempotencyKey: req.idempotencyKey })).toMatchObject({
      status: "authorized",
      providerPaymentId: replay.providerPaymentId,
    });
  });

  it("finds nothing for a key the provider never saw", async () => {
    expect(await provider.retrieve({ authorizeIdempotencyKey: "never-sent" })).toEqual({
      status: "not_found",
    });
  });

  it("throws UNAVAILABLE when the provider cannot be reached at all (nothing was sent)", async () => {
    const down = createSandboxPaymentProvider({
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      webhookSecret: SECRET,
      timeoutMs: 500,
    });
    const err = await down.authorize(request(CARD.approve)).catch((e: unknown) => e);
    expect(isAppError(err) && err.kind).toBe("unavailable");
  });

  it("verifies the sandbox's webhooks, maps them, and refuses tampered, foreign or stale ones", async () => {
    const auth = await provider.authorize(request(CARD.duplicate));
    const id = auth.providerPaymentId as string;
    const mine = () => receiver.received.filter((w) => w.event.data.object.id === id);
    await receiver.waitFor(() => mine().length === 2);
    const [a, b] = mine();
    if (!a || !b) throw new Error("expected two deliveries");
    const event = provider.verifyWebhook(a.headers, a.rawBody);
    expect(event).toMatchObject({
      type: "authorized",
      providerEventType: "payment_intent.amount_capturable_updated",
      providerPaymentId: id,
      payment: { status: "authorized", authorized: money(2599, "EUR") },
    });
    expect(event.eventId).toMatch(/^evt_/);
    expect(event.reference).toMatch(/^order-/);
    // The duplicate delivery is the same event: receivers dedupe on the id.
    expect(provider.verifyWebhook(b.headers, b.rawBody).eventId).toBe(event.eventId);

    const refused = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return isAppError(err) ? err.kind : "other";
      }
      return "accepted";
    };
    expect(refused(() => provider.verifyWebhook(a.headers, a.rawBody.replace("2599", "1")))).toBe(
      "unauthenticated",
    );
    expect(refused(() => provider.verifyWebhook({}, a.rawBody))).toBe("unauthenticated");
    const foreign = createSandboxPaymentProvider({
      baseUrl: sandbox.baseUrl,
      webhookSecret: "whsec_someone_else_000",
    });
    expect(refused(() => foreign.verifyWebhook(a.headers, a.rawBody))).toBe("unauthenticated");
    const later = createSandboxPaymentProvider({
      baseUrl: sandbox.baseUrl,
      webhookSecret: SECRET,
      clock: () => new Date(Date.now() + 10 * 60_000),
    });
    expect(refused(() => later.verifyWebhook(a.headers, a.rawBody))).toBe("unauthenticated");
  });

  it("maps capture and refund webhooks with their amounts", async () => {
    const auth = await provider.authorize(request(CARD.approve));
    const id = auth.providerPaymentId as string;
    await provider.capture({ idempotencyKey: `${id}:capture`, providerPaymentId: id });
    await provider.refund({
      idempotencyKey: `${id}:refund`,
      providerPaymentId: id,
      amount: money(99, "EUR"),
      reason: "",
    });
    const mine = () =>
      receiver.received.filter(
        (w) => w.event.data.object.id === id || w.event.data.object.payment_intent === id,
      );
    await receiver.waitFor(() => mine().length === 3);
    const events = mine().map((w) => provider.verifyWebhook(w.headers, w.rawBody));
    expect(events.map((e) => e.type)).toEqual(["authorized", "captured", "refunded"]);
    expect(events[1]?.payment).toMatchObject({ status: "captured", captured: money(2599, "EUR") });
    expect(events[2]).toMatchObject({
      providerPaymentId: id,
      refund: { amount: money(99, "EUR") },
      payment: { refunded: money(99, "EUR") },
    });
  });
});

// A port nothing listens on (taken from the OS, then released).
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 1;
}
