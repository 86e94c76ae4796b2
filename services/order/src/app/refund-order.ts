// RefundOrder (ops): a partial or full refund of captured money, with a reason. The refund is recorded
// (requested) with its provider key in one transaction, the provider is asked after commit under that
// key, and the answer is settled in another transaction with OrderRefunded in the outbox. A retry with
// the same idempotency key asks the provider again under the same refund key and settles at most once.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { appendToOutbox } from "@stockroom/outbox";
import { v7 as uuidv7 } from "uuid";
import { bumpOrderVersion, setOrderPaymentStatus } from "../data/order.repo.ts";
import { findPaymentOfOrder, movePayment } from "../data/payment.repo.ts";
import { findRefund, insertRefund, type RefundRecord, settleRefund } from "../data/refund.repo.ts";
import { type Money, money } from "../domain/money.ts";
import { type PaymentStatus, refundable, refund as refundPayment } from "../domain/payment-status.ts";
import { loadOrder, orderNotFound } from "./get-order.ts";
import { orderRefunded } from "./order-events.ts";
import type { OrderAggregate } from "./order-message.ts";
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

export function refundOrderUseCase(deps: UseCaseDeps) {
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
          refundPayment(state, amount);
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
    const refund = await findRefund(deps.db, refundId);
    const payment = await findPaymentOfOrder(deps.db, command.orderId);
    if (!refund || !payment?.providerPaymentId) throw orderNotFound(command.orderId);
    if (refund.status === "requested" || refund.status === "unknown") {
      const provider = deps.paymentProviders.find((p) => p.name === payment.provider);
      if (!provider)
        throw failedPrecondition(ErrorReason.PAYMENT_METHOD_NOT_SUPPORTED, `no provider ${payment.provider}`);
      const answer = await provider.refund({
        idempotencyKey: refund.idempotencyKey,
        providerPaymentId: payment.providerPaymentId,
        amount: money(refund.amountMinor, refund.currency),
        reason: refund.reason,
      });
      await deps.transaction(async (trx) => {
        const settled = await settleRefund(trx, refund.refundId, {
          status: answer.status,
          ...(answer.providerRefundId ? { providerRefundId: answer.providerRefundId } : {}),
        });
        if (!settled || answer.status !== "succeeded") return;
        const current = await findPaymentOfOrder(trx, command.orderId, true);
        if (!current) return;
        const refundedMinor = current.refundedMinor + refund.amountMinor;
        const status = refundedMinor === current.capturedMinor ? "refunded" : "partially_refunded";
        await movePayment(trx, current.paymentId, ["captured", "partially_refunded"], {
          status,
          refundedMinor,
        });
        await setOrderPaymentStatus(trx, command.orderId, status);
        await bumpOrderVersion(trx, command.orderId);
        const aggregate = await loadOrder({ db: trx }, command.orderId);
        const stored = await findRefund(trx, refund.refundId);
        if (aggregate && stored)
          await appendToOutbox(trx, { producer: "order" }, [orderRefunded(aggregate, stored)]);
      });
      if (answer.status === "failed") {
        throw failedPrecondition(
          ErrorReason.PAYMENT_FAILED,
          `the provider refused the refund (${answer.failureCode ?? "failed"})`,
        );
      }
    }
    const [order, stored] = await Promise.all([
      loadOrder(deps, command.orderId),
      findRefund(deps.db, refundId),
    ]);
    if (!order || !stored) throw orderNotFound(command.orderId);
    return { order, refund: stored };
  };
}
