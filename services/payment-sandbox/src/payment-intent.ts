// Payment intents as the sandbox keeps them, and the rules of their transitions (Stripe's states:
// processing, requires_capture, succeeded, canceled, requires_payment_method for a declined one).
import type { CardBehaviour } from "./test-cards.ts";

export type IntentStatus =
  | "processing"
  | "requires_capture"
  | "succeeded"
  | "canceled"
  | "requires_payment_method";
export type CaptureMethod = "manual" | "automatic";

export interface PaymentIntent {
  id: string;
  amount: number;
  currency: string;
  customer: string;
  paymentMethod: string;
  captureMethod: CaptureMethod;
  behaviour: CardBehaviour;
  status: IntentStatus;
  amountCapturable: number;
  amountReceived: number;
  amountRefunded: number;
  reference: string;
  lastErrorCode: string | null;
  createdAt: Date;
}

export interface Refund {
  id: string;
  paymentIntentId: string;
  amount: number;
  reason: string;
  createdAt: Date;
}

// A failed request, as Stripe reports it: HTTP status, error type and code, the offending parameter.
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly httpStatus: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | undefined;

  constructor(httpStatus: number, type: string, code: string, message: string, param?: string) {
    super(message);
    this.httpStatus = httpStatus;
    this.type = type;
    this.code = code;
    this.param = param;
  }
}

export function invalidRequest(code: string, message: string, param?: string): GatewayError {
  return new GatewayError(400, "invalid_request_error", code, message, param);
}

// The state an intent starts in, from its card's behaviour and capture method.
export function initialState(
  behaviour: CardBehaviour,
  amount: number,
  captureMethod: CaptureMethod,
): Pick<PaymentIntent, "status" | "amountCapturable" | "amountReceived" | "lastErrorCode"> {
  if (behaviour === "decline") {
    return {
      status: "requires_payment_method",
      amountCapturable: 0,
      amountReceived: 0,
      lastErrorCode: "card_declined",
    };
  }
  if (behaviour === "timeout_unknown") {
    return { status: "processing", amountCapturable: 0, amountReceived: 0, lastErrorCode: null };
  }
  return approved(amount, captureMethod);
}

// A processing intent settles (approved) the first time anyone looks at it.
export function settled(intent: PaymentIntent): PaymentIntent {
  if (intent.status !== "processing") return intent;
  return { ...intent, ...approved(intent.amount, intent.captureMethod) };
}

function approved(amount: number, captureMethod: CaptureMethod) {
  return captureMethod === "automatic"
    ? { status: "succeeded" as const, amountCapturable: 0, amountReceived: amount, lastErrorCode: null }
    : {
        status: "requires_capture" as const,
        amountCapturable: amount,
        amountReceived: 0,
        lastErrorCode: null,
      };
}

// Capture takes at most what is capturable (all of it by default) and releases the rest, as Stripe does.
export function capture(intent: PaymentIntent, amountToCapture: number | undefined): PaymentIntent {
  if (intent.status !== "requires_capture") {
    throw invalidRequest(
      "payment_intent_unexpected_state",
      `payment intent ${intent.id} is ${intent.status}; capture needs requires_capture`,
    );
  }
  const amount = amountToCapture ?? intent.amountCapturable;
  if (amount > intent.amountCapturable) {
    throw invalidRequest(
      "amount_too_large",
      `amount_to_capture ${amount} is above the capturable ${intent.amountCapturable}`,
      "amount_to_capture",
    );
  }
  return { ...intent, status: "succeeded", amountCapturable: 0, amountReceived: amount };
}

const CANCELLABLE: ReadonlySet<IntentStatus> = new Set(["requires_capture", "requires_payment_method"]);

export function cancel(intent: PaymentIntent): PaymentIntent {
  if (!CANCELLABLE.has(intent.status)) {
    throw invalidRequest(
      "payment_intent_unexpected_state",
      `payment intent ${intent.id} is ${intent.status}; only requires_capture or requires_payment_method can be canceled`,
    );
  }
  return { ...intent, status: "canceled", amountCapturable: 0 };
}

// A refund takes at most what was received and not yet refunded (all of it by default).
export function refund(
  intent: PaymentIntent,
  amount: number | undefined,
): { intent: PaymentIntent; amount: number } {
  if (intent.status !== "succeeded") {
    throw invalidRequest(
      "charge_not_refundable",
      `payment intent ${intent.id} is ${intent.status}; only a succeeded (captured) one can be refunded`,
    );
  }
  const refundable = intent.amountReceived - intent.amountRefunded;
  if (refundable === 0) {
    throw invalidRequest("charge_already_refunded", `payment intent ${intent.id} is already fully refunded`);
  }
  const value = amount ?? refundable;
  if (value > refundable) {
    throw invalidRequest(
      "amount_too_large",
      `amount ${value} is above the refundable ${refundable}`,
      "amount",
    );
  }
  return { intent: { ...intent, amountRefunded: intent.amountRefunded + value }, amount: value };
}

// The JSON shape of an intent on the wire (Stripe's field names, unix seconds).
export function intentJson(intent: PaymentIntent): Record<string, unknown> {
  return {
    id: intent.id,
    object: "payment_intent",
    amount: intent.amount,
    currency: intent.currency,
    status: intent.status,
    capture_method: intent.captureMethod,
    amount_capturable: intent.amountCapturable,
    amount_received: intent.amountReceived,
    amount_refunded: intent.amountRefunded,
    customer: intent.customer,
    payment_method: intent.paymentMethod,
    reference: intent.reference,
    last_payment_error:
      intent.lastErrorCode === null
        ? null
        : { code: intent.lastErrorCode, message: "Your card was declined.", type: "card_error" },
    created: Math.floor(intent.createdAt.getTime() / 1000),
  };
}

export function refundJson(r: Refund, currency: string): Record<string, unknown> {
  return {
    id: r.id,
    object: "refund",
    amount: r.amount,
    currency,
    payment_intent: r.paymentIntentId,
    reason: r.reason,
    status: "succeeded",
    created: Math.floor(r.createdAt.getTime() / 1000),
  };
}
