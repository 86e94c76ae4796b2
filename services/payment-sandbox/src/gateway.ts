// The gateway's operations: create (authorize), retrieve, capture, cancel (void), refund. Each runs in
// one transaction that also plans the webhooks of what changed and, for POSTs with an Idempotency-Key,
// stores the answer, so the same key gets the same answer after a crash or restart.
import { createHash, randomUUID } from "node:crypto";
import type { Pool } from "@stockroom/db";
import {
  cancel,
  capture,
  GatewayError,
  initialState,
  intentJson,
  invalidRequest,
  type PaymentIntent,
  refund,
  refundJson,
  settled,
} from "./payment-intent.ts";
import {
  claimIdempotencyKey,
  findIntentByKeyForUpdate,
  findIntentForUpdate,
  findStoredAnswer,
  insertDeliveries,
  insertIntent,
  insertRefund,
  type PlannedDelivery,
  type Sql,
  storeAnswer,
  updateIntentState,
} from "./sandbox.repo.ts";
import { behaviourOf, hangsFirstAnswer } from "./test-cards.ts";

export interface GatewayAnswer {
  statusCode: number;
  body: unknown;
  // Hold the answer back this long (the timeout test cards' first answer).
  delayMs?: number;
}

export interface GatewayOptions {
  pool: Pool;
  webhooksEnabled: boolean;
  hangMs: number;
  lateWebhookDelayMs: number;
  clock?: () => Date;
}

export type Body = Record<string, unknown>;

export interface Gateway {
  createIntent(idempotencyKey: string | undefined, body: Body): Promise<GatewayAnswer>;
  retrieveIntent(id: string): Promise<GatewayAnswer>;
  findIntentByIdempotencyKey(key: string): Promise<GatewayAnswer>;
  captureIntent(idempotencyKey: string | undefined, id: string, body: Body): Promise<GatewayAnswer>;
  cancelIntent(idempotencyKey: string | undefined, id: string, body: Body): Promise<GatewayAnswer>;
  createRefund(idempotencyKey: string | undefined, body: Body): Promise<GatewayAnswer>;
}

const MAX_AMOUNT = 99_999_999_999;

export function createGateway(options: GatewayOptions): Gateway {
  const clock = options.clock ?? (() => new Date());

  async function transaction<T>(fn: (db: Sql) => Promise<T>): Promise<T> {
    const client = await options.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  // Same key and same request: the stored answer. Same key, other request: 409. New key: run and store.
  // Without a key (allowed except on create, as with Stripe) the request simply runs.
  async function idempotent(
    key: string | undefined,
    path: string,
    body: Body,
    run: (db: Sql) => Promise<GatewayAnswer>,
  ): Promise<GatewayAnswer> {
    if (key === undefined) return transaction((db) => answerOf(run, db));
    if (key.length === 0 || key.length > 255) {
      return errorAnswer(
        invalidRequest("idempotency_key_invalid", "Idempotency-Key must be 1..255 characters"),
      );
    }
    const fingerprint = fingerprintOf(path, body);
    return transaction(async (db) => {
      if (!(await claimIdempotencyKey(db, key, path, fingerprint))) {
        const stored = await findStoredAnswer(db, key);
        if (!stored || stored.fingerprint !== fingerprint) {
          return errorAnswer(
            new GatewayError(
              409,
              "idempotency_error",
              "idempotency_key_in_use",
              `Idempotency-Key ${key} was used with another request (${stored?.requestPath ?? "unknown"})`,
            ),
          );
        }
        return { statusCode: stored.statusCode, body: stored.response };
      }
      const answer = await answerOf(run, db);
      await storeAnswer(db, key, answer.statusCode, answer.body);
      return answer;
    });
  }

  function plan(intent: PaymentIntent, type: string, object: unknown): PlannedDelivery[] {
    if (!options.webhooksEnabled) return [];
    const now = clock();
    const eventId = `evt_${randomUUID().replaceAll("-", "")}`;
    const payload = {
      id: eventId,
      object: "event",
      type,
      created: Math.floor(now.getTime() / 1000),
      data: { object },
    };
    const deliverAt =
      intent.behaviour === "late_webhook" ? new Date(now.getTime() + options.lateWebhookDelayMs) : now;
    const delivery = { eventId, eventType: type, payload, deliverAt };
    return intent.behaviour === "duplicate_webhook" ? [delivery, { ...delivery }] : [delivery];
  }

  // A processing intent's outcome is unknown, so nothing is announced until it settles.
  function statusEvent(intent: PaymentIntent): PlannedDelivery[] {
    if (intent.status === "processing") return [];
    const type = {
      requires_capture: "payment_intent.amount_capturable_updated",
      succeeded: "payment_intent.succeeded",
      canceled: "payment_intent.canceled",
      requires_payment_method: "payment_intent.payment_failed",
    }[intent.status];
    return plan(intent, type, intentJson(intent));
  }

  // A processing intent settles the first time it is loaded (retrieve, capture, cancel, refund).
  async function loadSettled(db: Sql, intent: PaymentIntent | undefined, id: string): Promise<PaymentIntent> {
    if (!intent) {
      throw new GatewayError(
        404,
        "invalid_request_error",
        "resource_missing",
        `No such payment_intent: '${id}'`,
        "id",
      );
    }
    if (intent.status !== "processing") return intent;
    const next = settled(intent);
    await updateIntentState(db, next);
    await insertDeliveries(db, statusEvent(next));
    return next;
  }

  return {
    createIntent(idempotencyKey, body) {
      if (idempotencyKey === undefined) {
        return Promise.resolve(
          errorAnswer(
            invalidRequest("idempotency_key_required", "creating a payment intent needs an Idempotency-Key"),
          ),
        );
      }
      return idempotent(idempotencyKey, "POST /v1/payment_intents", body, async (db) => {
        const input = createInput(body);
        const behaviour = behaviourOf(input.paymentMethod);
        if (!behaviour) {
          throw invalidRequest(
            "payment_method_invalid",
            `payment_method ${input.paymentMethod} is not a sandbox test card`,
            "payment_method",
          );
        }
        const intent: PaymentIntent = {
          id: `pi_${randomUUID().replaceAll("-", "")}`,
          ...input,
          behaviour,
          ...initialState(behaviour, input.amount, input.captureMethod),
          amountRefunded: 0,
          createdAt: clock(),
        };
        await insertIntent(db, intent, idempotencyKey);
        await insertDeliveries(db, statusEvent(intent));
        const json = intentJson(intent);
        const answer: GatewayAnswer =
          intent.status === "requires_payment_method"
            ? {
                statusCode: 402,
                body: {
                  error: {
                    type: "card_error",
                    code: "card_declined",
                    message: "Your card was declined.",
                    payment_intent: json,
                  },
                },
              }
            : { statusCode: 200, body: json };
        return hangsFirstAnswer(behaviour) ? { ...answer, delayMs: options.hangMs } : answer;
      });
    },

    retrieveIntent(id) {
      return transaction(async (db) => {
        try {
          const intent = await loadSettled(db, await findIntentForUpdate(db, id), id);
          return { statusCode: 200, body: intentJson(intent) };
        } catch (err) {
          if (err instanceof GatewayError) return errorAnswer(err);
          throw err;
        }
      });
    },

    findIntentByIdempotencyKey(key) {
      return transaction(async (db) => {
        const intent = await findIntentByKeyForUpdate(db, key);
        if (!intent) return { statusCode: 200, body: { object: "list", data: [] } };
        const current = await loadSettled(db, intent, intent.id);
        return { statusCode: 200, body: { object: "list", data: [intentJson(current)] } };
      });
    },

    captureIntent(idempotencyKey, id, body) {
      return idempotent(idempotencyKey, `POST /v1/payment_intents/${id}/capture`, body, async (db) => {
        const amountToCapture = optionalAmount(body.amount_to_capture, "amount_to_capture");
        const intent = await loadSettled(db, await findIntentForUpdate(db, id), id);
        const next = capture(intent, amountToCapture);
        await updateIntentState(db, next);
        await insertDeliveries(db, statusEvent(next));
        return { statusCode: 200, body: intentJson(next) };
      });
    },

    cancelIntent(idempotencyKey, id, body) {
      return idempotent(idempotencyKey, `POST /v1/payment_intents/${id}/cancel`, body, async (db) => {
        const intent = await loadSettled(db, await findIntentForUpdate(db, id), id);
        const next = cancel(intent);
        await updateIntentState(db, next);
        await insertDeliveries(db, statusEvent(next));
        return { statusCode: 200, body: intentJson(next) };
      });
    },

    createRefund(idempotencyKey, body) {
      return idempotent(idempotencyKey, "POST /v1/refunds", body, async (db) => {
        const id = body.payment_intent;
        if (typeof id !== "string" || id === "") {
          throw invalidRequest("parameter_missing", "payment_intent is required", "payment_intent");
        }
        const amount = optionalAmount(body.amount, "amount");
        const reason = optionalText(body.reason, "reason") ?? "";
        const intent = await loadSettled(db, await findIntentForUpdate(db, id), id);
        const result = refund(intent, amount);
        const created = {
          id: `re_${randomUUID().replaceAll("-", "")}`,
          paymentIntentId: id,
          amount: result.amount,
          reason,
          createdAt: clock(),
        };
        await updateIntentState(db, result.intent);
        await insertRefund(db, created);
        await insertDeliveries(
          db,
          plan(result.intent, "charge.refunded", {
            ...refundJson(created, intent.currency),
            payment_intent_object: intentJson(result.intent),
          }),
        );
        return { statusCode: 200, body: refundJson(created, intent.currency) };
      });
    },
  };
}

async function answerOf(run: (db: Sql) => Promise<GatewayAnswer>, db: Sql): Promise<GatewayAnswer> {
  try {
    return await run(db);
  } catch (err) {
    // Every validation and state error is thrown before anything is written.
    if (err instanceof GatewayError) return errorAnswer(err);
    throw err;
  }
}

export function errorAnswer(err: GatewayError): GatewayAnswer {
  return {
    statusCode: err.httpStatus,
    body: {
      error: {
        type: err.type,
        code: err.code,
        message: err.message,
        ...(err.param ? { param: err.param } : {}),
      },
    },
  };
}

function createInput(body: Body) {
  const amount = optionalAmount(body.amount, "amount");
  if (amount === undefined) throw invalidRequest("parameter_missing", "amount is required", "amount");
  const currency = body.currency;
  if (typeof currency !== "string" || !/^[A-Za-z]{3}$/.test(currency)) {
    throw invalidRequest("parameter_invalid", "currency must be a 3-letter ISO code", "currency");
  }
  const paymentMethod = body.payment_method;
  if (typeof paymentMethod !== "string" || paymentMethod === "" || paymentMethod.length > 64) {
    throw invalidRequest("parameter_missing", "payment_method is required", "payment_method");
  }
  const captureMethod = body.capture_method ?? "manual";
  if (captureMethod !== "manual" && captureMethod !== "automatic") {
    throw invalidRequest("parameter_invalid", "capture_method must be manual or automatic", "capture_method");
  }
  return {
    amount,
    currency: currency.toLowerCase(),
    paymentMethod,
    captureMethod: captureMethod as "manual" | "automatic",
    customer: optionalText(body.customer, "customer") ?? "",
    reference: optionalText(body.reference, "reference") ?? "",
  };
}

function optionalAmount(value: unknown, param: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0 || value > MAX_AMOUNT) {
    throw invalidRequest("parameter_invalid", `${param} must be a positive integer of minor units`, param);
  }
  return value;
}

function optionalText(value: unknown, param: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length > 200) {
    throw invalidRequest("parameter_invalid", `${param} must be a string of at most 200 characters`, param);
  }
  return value;
}

// Stable over key order, so a client that serializes the same request differently is not refused.
function fingerprintOf(path: string, body: Body): string {
  return createHash("sha256").update(path).update("\n").update(canonicalJson(body)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
