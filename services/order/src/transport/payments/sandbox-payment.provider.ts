// The `sandbox` payment provider: our sandbox gateway (services/payment-sandbox) over HTTP, speaking
// Stripe's PaymentIntents shape. Every call has a timeout; a timeout or a dropped connection is an
// `unknown` outcome (the request may have been processed), never retried here under a new key.
import { createHmac, timingSafeEqual } from "node:crypto";
import { ErrorReason, internal, invalidArgument, unauthenticated, unavailable } from "@stockroom/errors";
import type {
  AuthorizeRequest,
  AuthorizeResult,
  CaptureRequest,
  CaptureResult,
  PaymentLookup,
  PaymentProvider,
  PaymentWebhookEvent,
  PaymentWebhookType,
  ProviderPayment,
  RefundRequest,
  RefundResult,
  VoidRequest,
  VoidResult,
} from "../../app/payment-provider.port.ts";
import { type Money, money } from "../../domain/money.ts";
import type { PaymentMethodType } from "../../domain/payment-status.ts";

export const SANDBOX_SIGNATURE_HEADER = "sandbox-signature";

export interface SandboxPaymentProviderOptions {
  baseUrl: string;
  webhookSecret: string;
  // Per call; the sandbox's timeout cards answer only after their hang, which must be longer.
  timeoutMs?: number;
  // A webhook whose signed timestamp is further from now than this is refused (replays).
  webhookToleranceSec?: number;
  clock?: () => Date;
}

type Json = Record<string, unknown>;

// What one HTTP call came to: an answer, or a call whose outcome we cannot know.
type CallResult = { kind: "answer"; status: number; body: Json } | { kind: "unknown"; detail: string };

const DEFAULT_TIMEOUT_MS = 5_000;

export function createSandboxPaymentProvider(options: SandboxPaymentProviderOptions): PaymentProvider {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tolerance = options.webhookToleranceSec ?? 300;
  const clock = options.clock ?? (() => new Date());
  const base = options.baseUrl.replace(/\/$/, "");

  async function call(
    method: "GET" | "POST",
    path: string,
    body?: Json,
    idempotencyKey?: string,
  ): Promise<CallResult> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(body ? { "content-type": "application/json" } : {}),
          ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (neverSent(err))
        throw unavailable(`payment provider sandbox is unreachable (${path})`, undefined, undefined, err);
      return { kind: "unknown", detail: describe(err) };
    }
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch (err) {
      // The body was cut off (timeout or dropped connection mid-answer): it may have been processed.
      return { kind: "unknown", detail: `unreadable answer (HTTP ${response.status}): ${describe(err)}` };
    }
    // 5xx: the provider may have done it; the same key later tells.
    if (response.status >= 500) return { kind: "unknown", detail: `HTTP ${response.status}` };
    return { kind: "answer", status: response.status, body: (parsed ?? {}) as Json };
  }

  function refusal(path: string, answer: { status: number; body: Json }): Error {
    const error = (answer.body.error ?? {}) as Json;
    if (answer.status === 409) {
      return internal(
        `payment provider refused a reused idempotency key on ${path}: ${String(error.message)}`,
      );
    }
    return internal(
      `payment provider refused ${path} (HTTP ${answer.status} ${String(error.code)}): ${String(error.message)}`,
    );
  }

  return {
    name: "sandbox",

    supports(method: PaymentMethodType) {
      return method === "card" || method === "e_wallet";
    },

    async authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
      const path = "/v1/payment_intents";
      const result = await call(
        "POST",
        path,
        {
          amount: request.amount.amountMinor,
          currency: request.amount.currency,
          payment_method: request.method.token,
          customer: request.customerId,
          reference: request.reference,
          capture_method: request.captureImmediately ? "automatic" : "manual",
        },
        request.idempotencyKey,
      );
      if (result.kind === "unknown") return { status: "unknown" };
      if (result.status === 402) {
        const error = (result.body.error ?? {}) as Json;
        const intent = (error.payment_intent ?? {}) as Json;
        return {
          status: "declined",
          ...(typeof intent.id === "string" ? { providerPaymentId: intent.id } : {}),
          declineCode: typeof error.code === "string" ? error.code : "declined",
        };
      }
      if (result.status !== 200) throw refusal(path, result);
      const payment = paymentFrom(result.body);
      // processing (the timeout-unknown card's replay) is pending: the provider said it is not settled.
      const status =
        payment.status === "authorized" || payment.status === "captured" || payment.status === "declined"
          ? payment.status
          : payment.status === "pending"
            ? "pending"
            : "unknown";
      return {
        status,
        ...(payment.providerPaymentId ? { providerPaymentId: payment.providerPaymentId } : {}),
      };
    },

    async capture(request: CaptureRequest): Promise<CaptureResult> {
      const path = `/v1/payment_intents/${encodeURIComponent(request.providerPaymentId)}/capture`;
      const result = await call(
        "POST",
        path,
        request.amount ? { amount_to_capture: request.amount.amountMinor } : {},
        request.idempotencyKey,
      );
      if (result.kind === "unknown") return { status: "unknown" };
      if (result.status === 200) {
        const payment = paymentFrom(result.body);
        return { status: "succeeded", ...(payment.captured ? { captured: payment.captured } : {}) };
      }
      return failedOr(path, result);
    },

    async void(request: VoidRequest): Promise<VoidResult> {
      const path = `/v1/payment_intents/${encodeURIComponent(request.providerPaymentId)}/cancel`;
      const result = await call("POST", path, {}, request.idempotencyKey);
      if (result.kind === "unknown") return { status: "unknown" };
      if (result.status === 200) return { status: "succeeded" };
      return failedOr(path, result);
    },

    async refund(request: RefundRequest): Promise<RefundResult> {
      const path = "/v1/refunds";
      const result = await call(
        "POST",
        path,
        {
          payment_intent: request.providerPaymentId,
          ...(request.amount ? { amount: request.amount.amountMinor } : {}),
          reason: request.reason,
        },
        request.idempotencyKey,
      );
      if (result.kind === "unknown") return { status: "unknown" };
      if (result.status === 200) {
        const currency =
          typeof result.body.currency === "string"
            ? result.body.currency.toUpperCase()
            : request.amount?.currency;
        const refunded =
          typeof result.body.amount === "number" && currency
            ? money(result.body.amount, currency)
            : undefined;
        return {
          status: "succeeded",
          providerRefundId: String(result.body.id),
          ...(refunded ? { refunded } : {}),
        };
      }
      return failedOr(path, result);
    },

    async retrieve(lookup: PaymentLookup): Promise<ProviderPayment> {
      const path =
        "providerPaymentId" in lookup
          ? `/v1/payment_intents/${encodeURIComponent(lookup.providerPaymentId)}`
          : `/v1/payment_intents?idempotency_key=${encodeURIComponent(lookup.authorizeIdempotencyKey)}`;
      const result = await call("GET", path);
      if (result.kind === "unknown") {
        throw unavailable(`payment provider sandbox did not answer ${path}: ${result.detail}`);
      }
      if (result.status === 404) return { status: "not_found" };
      if (result.status !== 200) throw refusal(path, result);
      if ("providerPaymentId" in lookup) return paymentFrom(result.body);
      const first = Array.isArray(result.body.data) ? (result.body.data[0] as Json | undefined) : undefined;
      return first ? paymentFrom(first) : { status: "not_found" };
    },

    verifyWebhook(headers, rawBody): PaymentWebhookEvent {
      const raw = headers[SANDBOX_SIGNATURE_HEADER];
      const header = Array.isArray(raw) ? raw[0] : raw;
      verifySignature(header, rawBody, options.webhookSecret, tolerance, clock());
      let event: Json;
      try {
        event = JSON.parse(rawBody) as Json;
      } catch {
        throw invalidArgument("body", "webhook body is not JSON");
      }
      return eventFrom(event);
    },
  };
}

function failedOr(
  path: string,
  answer: { status: number; body: Json },
): { status: "failed"; failureCode: string } {
  if (answer.status === 409) throw internal(`payment provider refused a reused idempotency key on ${path}`);
  const error = (answer.body.error ?? {}) as Json;
  return {
    status: "failed",
    failureCode: typeof error.code === "string" ? error.code : `http_${answer.status}`,
  };
}

// Connection refused or the host unknown: the request never left, so trying again is safe.
function neverSent(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause && typeof cause.code === "string" ? cause.code : undefined;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

const STATUS_OF: Record<string, ProviderPayment["status"]> = {
  processing: "pending",
  requires_capture: "authorized",
  succeeded: "captured",
  canceled: "voided",
  requires_payment_method: "declined",
};

function paymentFrom(intent: Json): ProviderPayment {
  const currency = typeof intent.currency === "string" ? intent.currency.toUpperCase() : undefined;
  const amountOf = (value: unknown): Money | undefined =>
    typeof value === "number" && currency ? money(value, currency) : undefined;
  const status = STATUS_OF[String(intent.status)];
  if (!status) throw internal(`payment provider answered an unknown intent status ${String(intent.status)}`);
  const amount = amountOf(intent.amount);
  const captured = amountOf(intent.amount_received);
  const capturable = amountOf(intent.amount_capturable);
  const authorized =
    status === "authorized"
      ? capturable
      : status === "captured" || status === "voided"
        ? captured
        : undefined;
  const refunded = amountOf(intent.amount_refunded);
  return {
    status,
    ...(typeof intent.id === "string" ? { providerPaymentId: intent.id } : {}),
    ...(amount ? { amount } : {}),
    ...(authorized ? { authorized } : {}),
    ...(captured ? { captured } : {}),
    ...(refunded ? { refunded } : {}),
  };
}

const WEBHOOK_TYPES: Record<string, PaymentWebhookType> = {
  "payment_intent.amount_capturable_updated": "authorized",
  "payment_intent.succeeded": "captured",
  "payment_intent.canceled": "voided",
  "payment_intent.payment_failed": "declined",
  "charge.refunded": "refunded",
};

function eventFrom(event: Json): PaymentWebhookEvent {
  const id = event.id;
  const type = event.type;
  const object = ((event.data as Json | undefined)?.object ?? undefined) as Json | undefined;
  if (typeof id !== "string" || typeof type !== "string" || !object) {
    throw invalidArgument("body", "webhook body is not a provider event (id, type, data.object)");
  }
  const mapped = WEBHOOK_TYPES[type] ?? "other";
  const intent = mapped === "refunded" ? ((object.payment_intent_object ?? {}) as Json) : object;
  const payment =
    mapped === "other" && object.object !== "payment_intent"
      ? { status: "pending" as const }
      : paymentFrom(intent);
  const currency = typeof intent.currency === "string" ? intent.currency.toUpperCase() : undefined;
  return {
    eventId: id,
    type: mapped,
    providerEventType: type,
    providerPaymentId: String(mapped === "refunded" ? object.payment_intent : object.id),
    reference: typeof intent.reference === "string" ? intent.reference : "",
    payment,
    ...(mapped === "refunded" && typeof object.amount === "number" && currency
      ? { refund: { providerRefundId: String(object.id), amount: money(object.amount, currency) } }
      : {}),
    occurredAt: new Date((typeof event.created === "number" ? event.created : 0) * 1000),
  };
}

// Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, compared in constant
// time, and the timestamp within the tolerance so a captured webhook cannot be replayed later.
function verifySignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  toleranceSec: number,
  now: Date,
) {
  const invalid = (why: string) =>
    unauthenticated(`webhook signature invalid: ${why}`, ErrorReason.WEBHOOK_SIGNATURE_INVALID);
  if (!header) throw invalid(`no ${SANDBOX_SIGNATURE_HEADER} header`);
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.split("=", 2);
    if (key === "t" && value && /^\d+$/.test(value)) timestamp = Number(value);
    if (key === "v1" && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(Buffer.from(value, "hex"));
  }
  if (timestamp === undefined || signatures.length === 0) throw invalid("malformed header");
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSec)
    throw invalid("timestamp outside the tolerance");
  const expected = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest();
  if (!signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected))) {
    throw invalid("no matching v1 signature");
  }
}
