// A cancellation runs as the checkout saga's compensation, so a crash anywhere resumes it from the row:
// the saga is put to `compensating` with the steps to undo (un-commit or release the stock, void or refund
// the payment) and who asked. Used by CancelOrder (customer, ops) and AbandonCheckout (ops).
import type { Transaction } from "kysely";
import type { OrderDatabase } from "../data/database.ts";
import { type SagaRecord, updateSaga } from "../data/saga.repo.ts";
import {
  AUTHORIZE_PAYMENT,
  type CheckoutStepId,
  CONFIRM_ORDER,
  RESERVE_STOCK,
} from "../domain/checkout-saga.ts";
import { CANCEL_REQUEST } from "./drive-checkouts.ts";

export async function requestCancellation(
  trx: Transaction<OrderDatabase>,
  saga: SagaRecord,
  request: { by: "customer" | "ops" | "system"; reason: string; abandon: boolean; now: Date },
): Promise<boolean> {
  const undo: CheckoutStepId[] = [AUTHORIZE_PAYMENT];
  if (saga.stepOutputs[RESERVE_STOCK]) undo.push(RESERVE_STOCK);
  // A confirmed order: the stock is un-committed first, so the payment's undo knows what had shipped.
  if (saga.stepOutputs[CONFIRM_ORDER]) undo.reverse();
  return updateSaga(trx, saga.checkoutId, saga.version, {
    status: "compensating",
    pendingUndo: undo,
    orderOutcome: "cancel",
    stepOutcomes: { ...saga.stepOutcomes, [CANCEL_REQUEST]: { by: request.by, reason: request.reason } },
    resetAttempts: true,
    nextAttemptAt: request.now,
    attentionReason: null,
    abandonRequested: request.abandon,
    finishedAt: null,
  });
}
