// The `manual` payment provider: bank transfer and cash on delivery. No one holds money for us, so an
// authorization is `pending` until ops marks the payment received (MarkPaymentReceived records it in
// the order's own payments table; this adapter keeps no state). Ids derive from the idempotency key, so
// a repeated call answers the same. Refunds are paid back by ops outside the system and recorded as
// succeeded here. There are no webhooks.
import { createHash } from "node:crypto";
import { ErrorReason, unauthenticated } from "@stockroom/errors";
import type {
  AuthorizeRequest,
  AuthorizeResult,
  CaptureRequest,
  CaptureResult,
  PaymentLookup,
  PaymentProvider,
  PaymentWebhookEvent,
  ProviderPayment,
  RefundRequest,
  RefundResult,
  VoidRequest,
  VoidResult,
} from "../../app/payment-provider.port.ts";
import { isManualMethod, type PaymentMethodType } from "../../domain/payment-status.ts";

export function manualPaymentId(authorizeIdempotencyKey: string): string {
  return `manual_${digest(authorizeIdempotencyKey)}`;
}

export function createManualPaymentProvider(): PaymentProvider {
  return {
    name: "manual",

    supports(method: PaymentMethodType) {
      return isManualMethod(method);
    },

    async authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
      return { status: "pending", providerPaymentId: manualPaymentId(request.idempotencyKey) };
    },

    // The money arrived (ops said so); capturing records it.
    async capture(request: CaptureRequest): Promise<CaptureResult> {
      return { status: "succeeded", ...(request.amount ? { captured: request.amount } : {}) };
    },

    async void(_request: VoidRequest): Promise<VoidResult> {
      return { status: "succeeded" };
    },

    async refund(request: RefundRequest): Promise<RefundResult> {
      return {
        status: "succeeded",
        providerRefundId: `manual_re_${digest(request.idempotencyKey)}`,
        ...(request.amount ? { refunded: request.amount } : {}),
      };
    },

    // Whether the money arrived is known only to the order's own records, never to this provider.
    async retrieve(lookup: PaymentLookup): Promise<ProviderPayment> {
      const providerPaymentId =
        "providerPaymentId" in lookup
          ? lookup.providerPaymentId
          : manualPaymentId(lookup.authorizeIdempotencyKey);
      return { status: "pending", providerPaymentId };
    },

    verifyWebhook(): PaymentWebhookEvent {
      throw unauthenticated(
        "the manual payment provider sends no webhooks",
        ErrorReason.WEBHOOK_SIGNATURE_INVALID,
      );
    },
  };
}

function digest(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}
