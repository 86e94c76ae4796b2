// The order-calls worker's use case: claims due calls facts recorded (capture on shipment, void, release
// of a leftover commitment), makes each after no transaction is open, under its recorded key (the
// provider and the warehouse answer a repeat with the first answer), and settles it once: a capture
// moves the payment to captured, a void to voided. Failed or unknown calls are tried again with backoff
// under the same key; past the policy's limit the order needs attention.

import { setOrderAttention } from "../data/movement.repo.ts";
import { setOrderPaymentStatus } from "../data/order.repo.ts";
import { findPaymentOfOrder, movePayment } from "../data/payment.repo.ts";
import {
  claimDueRemoteCalls,
  type RemoteCallRecord,
  rescheduleRemoteCall,
  settleRemoteCall,
} from "../data/remote-call.repo.ts";
import { findSagaByOrder } from "../data/saga.repo.ts";
import { type AfterCheckoutPolicy, gaveUp, nextAttemptAt } from "../domain/after-checkout-policy.ts";
import { CONFIRM_RESERVATION, type ConfirmReservationOutput } from "../domain/checkout-saga.ts";
import { money } from "../domain/money.ts";
import { describeError } from "./checkout-steps.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

type Answer = {
  status: "succeeded" | "failed" | "unknown" | "skipped";
  error?: string;
  capturedMinor?: number;
};

export function runOrderCallsUseCase(deps: UseCaseDeps, policy: AfterCheckoutPolicy) {
  async function make(call: RemoteCallRecord): Promise<Answer> {
    if (call.kind === "release_stock") {
      const saga = await findSagaByOrder(deps.db, call.orderId);
      const output = saga?.stepOutputs[CONFIRM_RESERVATION] as ConfirmReservationOutput | undefined;
      if (!output?.reservationId)
        return { status: "skipped", error: "the order has no confirmed reservation" };
      await deps.warehouse.cancel({
        idempotencyKey: call.idempotencyKey,
        reservationId: output.reservationId,
        reason: "order lines short",
      });
      return { status: "succeeded" };
    }
    const payment = await findPaymentOfOrder(deps.db, call.orderId);
    const provider = deps.paymentProviders.find((p) => p.name === payment?.provider);
    if (!payment?.providerPaymentId || !provider) return { status: "failed", error: "no provider payment" };
    if (call.kind === "void") {
      if (payment.status !== "authorized")
        return { status: "skipped", error: `payment is ${payment.status}` };
      const r = await provider.void({
        idempotencyKey: call.idempotencyKey,
        providerPaymentId: payment.providerPaymentId,
      });
      return { status: r.status, ...(r.failureCode ? { error: r.failureCode } : {}) };
    }
    if (call.amountMinor === null || call.currency === null) return { status: "skipped", error: "no amount" };
    if (payment.status !== "authorized" && !provider.multipleCaptures)
      return { status: "skipped", error: `payment is ${payment.status}` };
    const r = await provider.capture({
      idempotencyKey: call.idempotencyKey,
      providerPaymentId: payment.providerPaymentId,
      amount: money(call.amountMinor, call.currency),
    });
    return {
      status: r.status,
      ...(r.failureCode ? { error: r.failureCode } : {}),
      capturedMinor: r.captured ? r.captured.amountMinor : call.amountMinor,
    };
  }

  async function settle(call: RemoteCallRecord, answer: Answer): Promise<void> {
    await deps.transaction(async (trx) => {
      if (answer.status === "skipped") {
        await settleRemoteCall(trx, call.callId, "skipped", answer.error ?? null);
        return;
      }
      if (!(await settleRemoteCall(trx, call.callId, "succeeded"))) return;
      if (call.kind === "release_stock") return;
      const payment = await findPaymentOfOrder(trx, call.orderId, true);
      if (!payment) return;
      if (call.kind === "void") {
        await movePayment(trx, payment.paymentId, ["authorized"], { status: "voided" });
        await setOrderPaymentStatus(trx, call.orderId, "voided");
        return;
      }
      const capturedMinor = Math.min(
        payment.authorizedMinor,
        payment.capturedMinor + (answer.capturedMinor ?? 0),
      );
      await movePayment(trx, payment.paymentId, ["authorized", "captured"], {
        status: "captured",
        capturedMinor,
      });
      await setOrderPaymentStatus(trx, call.orderId, "captured");
    });
    if (call.kind !== "release_stock") {
      const payment = await findPaymentOfOrder(deps.db, call.orderId);
      deps.metrics?.paymentOutcome(payment?.provider ?? "unknown", `${call.kind}_${answer.status}`);
    }
  }

  async function retryLater(call: RemoteCallRecord, status: "requested" | "unknown", error: string) {
    const now = deps.clock();
    if (gaveUp(policy, call.createdAt, now)) {
      await deps.transaction(async (trx) => {
        if (await settleRemoteCall(trx, call.callId, "needs_attention", error))
          await setOrderAttention(trx, call.orderId, `${call.kind}_failed`);
      });
      deps.metrics?.needsAttention(`${call.kind}_failed`);
      return;
    }
    await deps.transaction((trx) =>
      rescheduleRemoteCall(trx, call.callId, {
        status,
        at: nextAttemptAt(policy, call.attempts, now),
        error,
      }),
    );
  }

  async function runOne(call: RemoteCallRecord): Promise<void> {
    let answer: Answer;
    try {
      answer = await make(call);
    } catch (err) {
      return retryLater(call, call.status === "unknown" ? "unknown" : "requested", describeError(err));
    }
    if (answer.status === "succeeded" || answer.status === "skipped") return settle(call, answer);
    return retryLater(
      call,
      answer.status === "unknown" ? "unknown" : "requested",
      answer.error ?? answer.status,
    );
  }

  return async function runDueOrderCalls(limit: number): Promise<number> {
    const claimed = await claimDueRemoteCalls(deps.db, deps.clock(), policy.leaseMs, limit);
    for (const call of claimed) await runOne(call);
    return claimed.length;
  };
}
