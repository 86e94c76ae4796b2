// Undoing one step of a checkout saga (its compensation, run in reverse order, safe to repeat): the
// reservation released (or, for a confirmed order being cancelled, un-committed: lines that already
// shipped stay shipped and are reported back), the authorization voided or the capture refunded. What an
// undo returns is kept in the saga's step outputs for the steps after it.
import { findOrder } from "../data/order.repo.ts";
import { findPaymentOfOrder, movePayment } from "../data/payment.repo.ts";
import { hasRemoteCall } from "../data/remote-call.repo.ts";
import type { SagaRecord } from "../data/saga.repo.ts";
import {
  AUTHORIZE_PAYMENT,
  type CheckoutStepId,
  CONFIRM_ORDER,
  CONFIRM_RESERVATION,
  type ConfirmReservationOutput,
  RESERVE_STOCK,
  type ReserveStockOutput,
  undoKey,
} from "../domain/checkout-saga.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

// The warehouse's answer to the cancellation's un-commit: { anyShipped, shippedSkus, allShipped }.
export const CANCEL_STOCK = "cancel-stock";

export interface CancelStockOutput {
  anyShipped: boolean;
  allShipped: boolean;
  shippedSkus: string[];
}

async function somethingShipped(deps: UseCaseDeps, saga: SagaRecord): Promise<boolean> {
  const stock = saga.stepOutputs[CANCEL_STOCK] as CancelStockOutput | undefined;
  if (stock?.anyShipped) return true;
  const order = await findOrder(deps.db, saga.orderId);
  if (order?.lines.some((l) => l.shipped > 0)) return true;
  return hasRemoteCall(deps.db, saga.orderId, "capture");
}

export async function undoCheckoutStep(
  deps: UseCaseDeps,
  saga: SagaRecord,
  step: CheckoutStepId,
): Promise<Record<string, unknown> | undefined> {
  if (step === RESERVE_STOCK) {
    const ids = [
      (saga.stepOutputs[RESERVE_STOCK] as ReserveStockOutput | undefined)?.reservationId,
      (saga.stepOutputs[`${RESERVE_STOCK}:again`] as { reservationId?: string } | undefined)?.reservationId,
    ].filter((id): id is string => typeof id === "string");
    // A confirmed order being cancelled: its stock is committed, so it is un-committed, not released.
    const confirmed = (saga.stepOutputs[CONFIRM_RESERVATION] as ConfirmReservationOutput | undefined)
      ?.reservationId;
    if (confirmed) {
      // Lines that shipped before the cancel reached the warehouse stay shipped; the order keeps them.
      const result = await deps.warehouse.cancel({
        idempotencyKey: `${undoKey(saga.checkoutId, step)}:cancel`,
        reservationId: confirmed,
        reason: "order cancelled",
      });
      return { [CANCEL_STOCK]: result };
    }
    for (const reservationId of ids) {
      await deps.warehouse.release({
        idempotencyKey: `${undoKey(saga.checkoutId, step)}:${reservationId}`,
        reservationId,
        reason: "checkout compensated",
      });
    }
    return undefined;
  }
  if (step === AUTHORIZE_PAYMENT) {
    // A confirmed order of which something shipped keeps its payment for what shipped: the units
    // cancelled are refunded, or never captured, when the cancellation is recorded
    // (cancel-unshipped-units.ts).
    if (saga.stepOutputs[CONFIRM_ORDER] && (await somethingShipped(deps, saga))) return undefined;
    const payment = await findPaymentOfOrder(deps.db, saga.orderId);
    if (!payment || payment.status === "declined" || payment.status === "voided") return undefined;
    const provider = deps.paymentProviders.find((p) => p.name === payment.provider);
    if (!provider) throw new Error(`no provider ${payment.provider}`);
    let providerPaymentId = payment.providerPaymentId ?? undefined;
    let state = payment.status;
    if (provider.name !== "manual") {
      const found = await provider.retrieve(
        providerPaymentId
          ? { providerPaymentId }
          : { authorizeIdempotencyKey: payment.authorizeIdempotencyKey },
      );
      if (found.status === "not_found" || found.status === "declined" || found.status === "voided")
        state = "voided";
      else state = found.status;
      providerPaymentId = found.providerPaymentId ?? providerPaymentId;
    }
    if ((state === "authorized" || state === "pending") && providerPaymentId && provider.name !== "manual") {
      const result = await provider.void({
        idempotencyKey: undoKey(saga.checkoutId, step),
        providerPaymentId,
      });
      if (result.status !== "succeeded")
        throw new Error(`void ${result.status} (${result.failureCode ?? ""})`);
    }
    if (state === "captured" && providerPaymentId) {
      const result = await provider.refund({
        idempotencyKey: undoKey(saga.checkoutId, step),
        providerPaymentId,
        reason: "checkout compensated",
      });
      if (result.status !== "succeeded")
        throw new Error(`refund ${result.status} (${result.failureCode ?? ""})`);
      await deps.transaction((trx) =>
        movePayment(trx, payment.paymentId, ["pending", "authorized", "captured"], {
          status: "refunded",
          authorizedMinor: payment.amountMinor,
          capturedMinor: payment.amountMinor,
          refundedMinor: payment.amountMinor,
          ...(providerPaymentId ? { providerPaymentId } : {}),
        }),
      );
      return undefined;
    }
    await deps.transaction(async (trx) => {
      await movePayment(trx, payment.paymentId, ["pending", "authorized"], {
        status: payment.status === "pending" ? "declined" : "voided",
        ...(providerPaymentId && !payment.providerPaymentId ? { providerPaymentId } : {}),
      });
    });
  }
  return undefined;
}
