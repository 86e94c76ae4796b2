// Sends one recorded refund to the provider under its own key and settles the answer: succeeded moves
// the payment's refunded amount and the lines' refunded units and writes OrderRefunded; failed, unknown
// or unreachable leaves it for the refund worker to try again (same key: the provider refunds at most
// once) until the policy gives up, when the order needs attention. Used by RefundOrder, the refund
// worker, and the facts that make refunds due (returns, short lines, cancellations).
import { appendToOutbox } from "@stockroom/outbox";
import { addRefundedUnits, setOrderAttention } from "../data/movement.repo.ts";
import { bumpOrderVersion, setOrderPaymentStatus } from "../data/order.repo.ts";
import { findPaymentOfOrder, movePayment } from "../data/payment.repo.ts";
import { findRefund, type RefundRecord, rescheduleRefund, settleRefund } from "../data/refund.repo.ts";
import { hasRemoteCall } from "../data/remote-call.repo.ts";
import { type AfterCheckoutPolicy, gaveUp, nextAttemptAt } from "../domain/after-checkout-policy.ts";
import { money } from "../domain/money.ts";
import { describeError } from "./checkout-steps.ts";
import { loadOrder } from "./get-order.ts";
import { orderRefunded } from "./order-events.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export type RefundAttempt = "succeeded" | "failed" | "unknown" | "waiting" | "needs_attention" | "settled";

export function refundPaymentUseCase(deps: UseCaseDeps, policy: AfterCheckoutPolicy) {
  async function retryLater(
    refund: RefundRecord,
    status: "requested" | "unknown" | "failed",
    error: string,
  ): Promise<RefundAttempt> {
    const now = deps.clock();
    if (gaveUp(policy, refund.createdAt, now)) {
      await deps.transaction(async (trx) => {
        if (await settleRefund(trx, refund.refundId, { status: "needs_attention" }))
          await setOrderAttention(trx, refund.orderId, "refund_failed");
      });
      deps.metrics?.needsAttention("refund_failed");
      return "needs_attention";
    }
    await deps.transaction((trx) =>
      rescheduleRefund(trx, refund.refundId, {
        status,
        at: nextAttemptAt(policy, refund.attempts, now),
        error,
        countAttempt: true,
      }),
    );
    return status === "requested" ? "failed" : status;
  }

  return async function refundPayment(refundId: string): Promise<RefundAttempt> {
    const refund = await findRefund(deps.db, refundId);
    if (!refund) throw new Error(`refund ${refundId} does not exist`);
    if (refund.status === "succeeded" || refund.status === "needs_attention") return "settled";
    const payment = await findPaymentOfOrder(deps.db, refund.orderId);
    const provider = deps.paymentProviders.find((p) => p.name === payment?.provider);
    if (!payment?.providerPaymentId || !provider) {
      return retryLater(refund, "failed", `order ${refund.orderId} has no provider payment to refund`);
    }
    if (payment.status !== "captured" && payment.status !== "partially_refunded") {
      // The capture that takes the money is still on its way: wait for it, without using up attempts.
      if (await hasRemoteCall(deps.db, refund.orderId, "capture", ["requested", "unknown"])) {
        await deps.transaction((trx) =>
          rescheduleRefund(trx, refund.refundId, {
            status: refund.status === "unknown" ? "unknown" : "requested",
            at: nextAttemptAt(policy, 0, deps.clock()),
            error: "waiting for the capture",
            countAttempt: false,
          }),
        );
        return "waiting";
      }
      return retryLater(refund, "failed", `payment is ${payment.status}; nothing captured to refund`);
    }
    let answer: Awaited<ReturnType<typeof provider.refund>>;
    try {
      answer = await provider.refund({
        idempotencyKey: refund.idempotencyKey,
        providerPaymentId: payment.providerPaymentId,
        amount: money(refund.amountMinor, refund.currency),
        reason: refund.reason,
      });
    } catch (err) {
      return retryLater(refund, refund.status === "unknown" ? "unknown" : "requested", describeError(err));
    }
    if (answer.status !== "succeeded") {
      return retryLater(
        refund,
        answer.status,
        `provider answered ${answer.status} (${answer.failureCode ?? "no code"})`,
      );
    }
    await deps.transaction(async (trx) => {
      const settled = await settleRefund(trx, refund.refundId, {
        status: "succeeded",
        ...(answer.providerRefundId ? { providerRefundId: answer.providerRefundId } : {}),
      });
      if (!settled) return;
      const current = await findPaymentOfOrder(trx, refund.orderId, true);
      if (!current) return;
      const refundedMinor = Math.min(current.capturedMinor, current.refundedMinor + refund.amountMinor);
      const status = refundedMinor === current.capturedMinor ? "refunded" : "partially_refunded";
      await movePayment(trx, current.paymentId, ["captured", "partially_refunded"], {
        status,
        refundedMinor,
      });
      await setOrderPaymentStatus(trx, refund.orderId, status);
      await addRefundedUnits(trx, refund.orderId, refund.lines);
      await bumpOrderVersion(trx, refund.orderId);
      const aggregate = await loadOrder({ db: trx }, refund.orderId);
      const stored = await findRefund(trx, refund.refundId);
      if (aggregate && stored)
        await appendToOutbox(trx, { producer: "order" }, [orderRefunded(aggregate, stored)]);
    });
    return "succeeded";
  };
}
