// A verified provider notification: recorded once (deduped by the provider's event id), then the order's
// checkout is made due so the saga — the one completion path — settles it. A late notification for an
// order already rejected or cancelled (the saga gave up while the outcome was unknown) reverses the money
// at once: void an authorization, refund a capture. Nothing here completes an order.
import { findOrder } from "../data/order.repo.ts";
import {
  findPaymentByProviderId,
  findPaymentOfOrder,
  movePayment,
  type PaymentRecord,
  recordPaymentEvent,
} from "../data/payment.repo.ts";
import { makeSagaDue } from "../data/saga.repo.ts";
import type { PaymentProvider, PaymentWebhookEvent } from "./payment-provider.port.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export type WebhookOutcome = "applied" | "duplicate" | "ignored_unknown_payment" | "compensated";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function recordPaymentWebhookUseCase(deps: UseCaseDeps, onDue?: () => void) {
  return async function recordPaymentWebhook(
    provider: PaymentProvider,
    event: PaymentWebhookEvent,
  ): Promise<WebhookOutcome> {
    const result = await deps.transaction(async (trx) => {
      let payment: PaymentRecord | undefined = await findPaymentByProviderId(
        trx,
        provider.name,
        event.providerPaymentId,
      );
      if (!payment && UUID.test(event.reference)) payment = await findPaymentOfOrder(trx, event.reference);
      const order = payment ? await findOrder(trx, payment.orderId) : undefined;
      const late =
        payment !== undefined &&
        order !== undefined &&
        (order.status === "rejected" || order.status === "cancelled") &&
        (event.type === "authorized" || event.type === "captured") &&
        // Our own authorization or capture (a cancelled order keeps what shipped and is captured for it)
        // is not late: only one the order never took (its payment still pending, declined or voided).
        ["pending", "declined", "voided"].includes(payment.status) &&
        !order.lines.some((l) => l.shipped > 0);
      const outcome: WebhookOutcome = !payment ? "ignored_unknown_payment" : late ? "compensated" : "applied";
      const fresh = await recordPaymentEvent(trx, {
        provider: provider.name,
        providerEventId: event.eventId,
        providerEventType: event.providerEventType,
        providerPaymentId: event.providerPaymentId,
        paymentId: payment?.paymentId ?? null,
        payload: { type: event.type, payment: event.payment, reference: event.reference },
        occurredAt: event.occurredAt,
        outcome: outcome === "compensated" ? "compensated" : outcome,
      });
      if (!fresh) return { outcome: "duplicate" as const, payment: undefined };
      if (payment && outcome === "applied") await makeSagaDue(trx, payment.orderId, deps.clock());
      return { outcome, payment };
    });
    if (result.outcome === "applied") onDue?.();
    if (result.outcome === "compensated" && result.payment) {
      // After commit, never inside the transaction; keyed so a redelivery acts once.
      const payment = result.payment;
      const key = `${payment.paymentId}:late-${event.type}`;
      if (event.type === "authorized") {
        const voided = await provider.void({
          idempotencyKey: key,
          providerPaymentId: event.providerPaymentId,
        });
        if (voided.status === "succeeded") {
          await deps.transaction((trx) =>
            movePayment(trx, payment.paymentId, ["pending", "declined"], {
              status: "voided",
              providerPaymentId: event.providerPaymentId,
            }),
          );
        }
      } else {
        await provider.refund({
          idempotencyKey: key,
          providerPaymentId: event.providerPaymentId,
          reason: "order already cancelled",
        });
      }
    }
    return result.outcome;
  };
}
