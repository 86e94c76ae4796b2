// RefundOrder (ops): a partial or full refund of captured money, with a reason. The refund is recorded
// (requested) with its provider key in one transaction, the provider is asked after commit under that
// key (refund-payment.ts), and the answer is settled in another transaction with OrderRefunded in the
// outbox. A retry with the same idempotency key asks the provider again under the same refund key and
// settles at most once; a refund the provider failed is retried by the refund worker.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { v7 as uuidv7 } from "uuid";
import { findPaymentOfOrder } from "../data/payment.repo.ts";
import { findRefund, insertRefund, type RefundRecord } from "../data/refund.repo.ts";
import type { AfterCheckoutPolicy } from "../domain/after-checkout-policy.ts";
import { type Money, money } from "../domain/money.ts";
import { type PaymentStatus, refundable, refund as refundWithin } from "../domain/payment-status.ts";
import { loadOrder, orderNotFound } from "./get-order.ts";
import type { OrderAggregate } from "./order-message.ts";
import { refundPaymentUseCase } from "./refund-payment.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface RefundOrderCommand {
  idempotencyKey: string;
  orderId: string;
  // Unset: everything captured and not yet refunded.
  amount?: Money;
  reason: string;
  note: string;
  lines: { lineNumber: number; quantity: number }[];
}

export function refundOrderUseCase(deps: UseCaseDeps, policy: AfterCheckoutPolicy) {
  const refundPayment = refundPaymentUseCase(deps, policy);
  return async function refundOrder(
    command: RefundOrderCommand,
    ctx: RequestContext,
  ): Promise<{ order: OrderAggregate; refund: RefundRecord }> {
    const { idempotencyKey, ...request } = command;
    const { refundId } = await deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: ctx.principal,
          operation: "refund-order",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const payment = await findPaymentOfOrder(trx, command.orderId, true);
          if (!payment)
            throw notFound(ErrorReason.PAYMENT_NOT_FOUND, `order ${command.orderId} has no payment`);
          const state = {
            status: payment.status as PaymentStatus,
            amount: money(payment.amountMinor, payment.currency),
            authorized: money(payment.authorizedMinor, payment.currency),
            captured: money(payment.capturedMinor, payment.currency),
            refunded: money(payment.refundedMinor, payment.currency),
          };
          const amount = command.amount ?? refundable(state);
          // The domain's bounds: captured (or partially refunded) only, never above what is refundable.
          refundWithin(state, amount);
          const refundId = uuidv7();
          await insertRefund(trx, {
            refundId,
            paymentId: payment.paymentId,
            orderId: command.orderId,
            currency: payment.currency,
            amountMinor: amount.amountMinor,
            reason: command.reason,
            note: command.note,
            idempotencyKey: `${payment.paymentId}:refund:${refundId}`,
            lines: command.lines,
          });
          return { refundId };
        },
      ),
    );
    const attempt = await refundPayment(refundId);
    if (attempt === "failed" || attempt === "needs_attention") {
      const stored = await findRefund(deps.db, refundId);
      throw failedPrecondition(
        ErrorReason.PAYMENT_FAILED,
        `the provider refused the refund (${stored?.lastError ?? "failed"}); the refund worker retries it under the same key`,
      );
    }
    const [order, stored] = await Promise.all([
      loadOrder(deps, command.orderId),
      findRefund(deps.db, refundId),
    ]);
    if (!order || !stored) throw orderNotFound(command.orderId);
    return { order, refund: stored };
  };
}
