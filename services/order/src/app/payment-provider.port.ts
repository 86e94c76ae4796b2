// The payment provider port, shaped after Stripe's PaymentIntents. The checkout saga and the order's
// payment use cases talk to providers only through it; each provider is an adapter
// (transport/payments/: `sandbox` over HTTP, `manual` for bank transfer and cash on delivery).
//
// Rules every adapter keeps:
// - Every call that moves money carries an idempotency key; the same key gets the provider's first
//   answer back. The saga derives keys deterministically (`<checkout id>:<step>`).
// - An ambiguous outcome (timeout, connection dropped after sending, provider 5xx) is `unknown`, never
//   an error that invites a retry under a new key. The caller asks `retrieve` (by the same key) or
//   retries with the same key until it knows.
// - Only a call that certainly never reached the provider (connection refused) throws UNAVAILABLE.
// - A provider's refusal of a request we built wrongly (4xx other than a decline) throws INTERNAL: it is
//   our bug, not the customer's.
import type { Money } from "../domain/money.ts";
import type { PaymentMethodType } from "../domain/payment-status.ts";

export type ProviderName = "sandbox" | "manual";

export interface PaymentInstrument {
  type: PaymentMethodType;
  // The provider's token (card, wallet); empty for manual methods.
  token: string;
}

export interface AuthorizeRequest {
  idempotencyKey: string;
  amount: Money;
  method: PaymentInstrument;
  customerId: string;
  // Ours, shown in the provider's records (the order id).
  reference: string;
  // Capture at once (e-wallets, by configuration) instead of on shipment.
  captureImmediately?: boolean;
}

export type AuthorizeStatus =
  // Money held; capture later.
  | "authorized"
  // Money taken at once (captureImmediately).
  | "captured"
  | "declined"
  // Nothing held yet, by design: a manual payment waits for ops; a provider still processing.
  | "pending"
  // We do not know whether the provider authorized (timeout): ask retrieve, never re-authorize anew.
  | "unknown";

export interface AuthorizeResult {
  status: AuthorizeStatus;
  // The provider's id of the payment; absent only when the outcome is unknown and no id came back.
  providerPaymentId?: string;
  // The provider's decline code (e.g. "card_declined").
  declineCode?: string;
}

export interface CaptureRequest {
  idempotencyKey: string;
  providerPaymentId: string;
  // Unset: everything authorized. Less than that captures part and releases the rest.
  amount?: Money;
}

export type OperationStatus = "succeeded" | "failed" | "unknown";

export interface CaptureResult {
  status: OperationStatus;
  captured?: Money;
  // Why it failed (e.g. "payment_intent_unexpected_state"), when it did.
  failureCode?: string;
}

export interface VoidRequest {
  idempotencyKey: string;
  providerPaymentId: string;
}

export interface VoidResult {
  status: OperationStatus;
  failureCode?: string;
}

export interface RefundRequest {
  idempotencyKey: string;
  providerPaymentId: string;
  // Unset: everything captured and not yet refunded.
  amount?: Money;
  reason: string;
}

export interface RefundResult {
  status: OperationStatus;
  providerRefundId?: string;
  refunded?: Money;
  failureCode?: string;
}

// Where a payment stands at the provider.
export type ProviderPaymentStatus =
  | "pending"
  | "authorized"
  | "captured"
  | "voided"
  | "declined"
  // The provider has no payment for this key (the authorize never arrived): safe to authorize again
  // under the same key.
  | "not_found";

export interface ProviderPayment {
  status: ProviderPaymentStatus;
  providerPaymentId?: string;
  amount?: Money;
  authorized?: Money;
  captured?: Money;
  refunded?: Money;
}

// Look a payment up by the provider's id, or (after an authorize whose answer was lost) by the
// authorize call's idempotency key.
export type PaymentLookup = { providerPaymentId: string } | { authorizeIdempotencyKey: string };

export type PaymentWebhookType = "authorized" | "captured" | "voided" | "declined" | "refunded" | "other";

// A verified provider notification. Receivers dedupe on eventId (payment_events is UNIQUE on it) and
// must expect events late, twice and out of order: they carry the payment's state after the change,
// which the receiver applies only if it moves the payment forward.
export interface PaymentWebhookEvent {
  eventId: string;
  type: PaymentWebhookType;
  // The provider's own event name, kept for the record.
  providerEventType: string;
  providerPaymentId: string;
  // The reference given to authorize (the order id).
  reference: string;
  payment: ProviderPayment;
  refund?: { providerRefundId: string; amount: Money };
  occurredAt: Date;
}

export interface PaymentProvider {
  readonly name: ProviderName;
  // The provider captures one payment many times (multicapture): captured per shipment. Otherwise (the
  // default, Stripe's and the sandbox's) the first capture takes what the order still delivers and
  // releases the rest; what goes short or is cancelled later is refunded.
  readonly multipleCaptures?: boolean;
  supports(method: PaymentMethodType): boolean;
  authorize(request: AuthorizeRequest): Promise<AuthorizeResult>;
  capture(request: CaptureRequest): Promise<CaptureResult>;
  void(request: VoidRequest): Promise<VoidResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
  retrieve(lookup: PaymentLookup): Promise<ProviderPayment>;
  // Throws UNAUTHENTICATED (reason WEBHOOK_SIGNATURE_INVALID) when the signature or its timestamp does
  // not verify; INVALID_ARGUMENT when the body is not an event.
  verifyWebhook(
    headers: Readonly<Record<string, string | string[] | undefined>>,
    rawBody: string,
  ): PaymentWebhookEvent;
}
