// The saga worker's use case: claim due checkouts (a short transaction: FOR UPDATE SKIP LOCKED, leased),
// run each one's step outside any transaction, then record the outcome in another transaction guarded by
// the version the claim saw. A crash anywhere leaves the row due again after its lease: the step reruns
// under the same key. The order becomes confirmed only in the transaction that records the confirmed
// reservation, with OrderConfirmed in the outbox.

import type { Logger } from "@stockroom/logging";
import { appendToOutbox } from "@stockroom/outbox";
import type { Transaction } from "kysely";
import { moveCartStatus } from "../data/cart.repo.ts";
import type { OrderDatabase } from "../data/database.ts";
import {
  bumpOrderVersion,
  findOrder,
  insertAllocations,
  moveOrderStatus,
  type OrderRecord,
  setOrderPaymentStatus,
  snapshotOrderLines,
} from "../data/order.repo.ts";
import { findPaymentOfOrder, movePayment } from "../data/payment.repo.ts";
import { claimDueSagas, findSagaByOrder, type SagaRecord, updateSaga } from "../data/saga.repo.ts";
import {
  AUTHORIZE_PAYMENT,
  type AuthorizePaymentOutput,
  type CheckoutStepId,
  CONFIRM_ORDER,
  CONFIRM_RESERVATION,
  type ConfirmReservationOutput,
  decide,
  RESERVE_STOCK,
  retryDelayMs,
  type SagaDecision,
  type StepOutcome,
  VALIDATE_CART,
  type ValidateCartOutput,
} from "../domain/checkout-saga.ts";
import { requiredOrderStatuses } from "../domain/order-status.ts";
import { cancelUnshippedUnits } from "./cancel-unshipped-units.ts";
import {
  authorizePaymentStep,
  confirmReservationStep,
  describeError,
  reserveStockStep,
  retryOutcome,
  type StepContext,
  validateCartStep,
} from "./checkout-steps.ts";
import { orderCancelled, orderConfirmed, orderShortfallDetected } from "./order-events.ts";
import { undoCheckoutStep } from "./undo-checkout-step.ts";
import type { OrderSettings, UseCaseDeps } from "./use-case-deps.ts";

const PRODUCER = { producer: "order" };

const STEP_RUNS: Partial<Record<CheckoutStepId, (ctx: StepContext) => Promise<StepOutcome>>> = {
  [VALIDATE_CART]: validateCartStep,
  [RESERVE_STOCK]: reserveStockStep,
  [AUTHORIZE_PAYMENT]: authorizePaymentStep,
  [CONFIRM_RESERVATION]: confirmReservationStep,
};

// The lease was lost (another worker took the saga after it lapsed, or ops moved it): this outcome is
// not recorded; the saga's current holder decides.
class LeaseLost extends Error {}

// Who asked for a cancellation (CancelOrder, AbandonCheckout) and why; absent: the saga itself.
export const CANCEL_REQUEST = "cancel-request";

function cancelRequest(saga: SagaRecord): { by: string; reason: string } | undefined {
  return saga.stepOutcomes[CANCEL_REQUEST] as { by: string; reason: string } | undefined;
}

export function driveCheckoutsUseCase(deps: UseCaseDeps, settings: OrderSettings, logger?: Logger) {
  const policy = settings.retryPolicy;

  async function save(
    trx: Transaction<OrderDatabase>,
    saga: SagaRecord,
    patch: Parameters<typeof updateSaga>[3],
  ) {
    if (!(await updateSaga(trx, saga.checkoutId, saga.version, patch))) throw new LeaseLost();
  }

  async function aggregate(trx: Transaction<OrderDatabase>, orderId: string) {
    const [order, payment, saga] = await Promise.all([
      findOrder(trx, orderId),
      findPaymentOfOrder(trx, orderId),
      findSagaByOrder(trx, orderId),
    ]);
    if (!order) throw new Error(`order ${orderId} vanished`);
    return { order, payment, saga };
  }

  // The confirm-reservation step's outcome and the order's confirmation, in one transaction.
  async function confirmOrder(
    trx: Transaction<OrderDatabase>,
    saga: SagaRecord,
    output: ConfirmReservationOutput,
    now: Date,
  ) {
    await insertAllocations(trx, saga.orderId, output.allocations);
    const version = await moveOrderStatus(trx, saga.orderId, requiredOrderStatuses("confirm"), {
      status: "confirmed",
      confirmedAt: now,
    });
    if (version === undefined)
      throw new Error(`order ${saga.orderId} could not be confirmed from its status`);
    await moveCartStatus(trx, saga.cartId, "checking_out", "checked_out");
    await save(trx, saga, {
      status: "confirmed",
      step: CONFIRM_ORDER,
      stepOutputs: { ...saga.stepOutputs, [CONFIRM_RESERVATION]: output, [CONFIRM_ORDER]: {} },
      resetAttempts: true,
      nextAttemptAt: null,
      waitingSince: null,
      lastError: null,
      finishedAt: now,
    });
    await appendToOutbox(trx, PRODUCER, [orderConfirmed(await aggregate(trx, saga.orderId))]);
  }

  async function recordAdvance(
    trx: Transaction<OrderDatabase>,
    saga: SagaRecord,
    output: unknown,
    next: CheckoutStepId,
    now: Date,
  ) {
    if (saga.step === VALIDATE_CART) {
      const v = output as ValidateCartOutput;
      await snapshotOrderLines(
        trx,
        saga.orderId,
        v.total.currency,
        v.lines.map((l) => ({ ...l, unitPriceMinor: l.unitPrice.amountMinor })),
        v.total.amountMinor,
      );
    }
    if (saga.step === AUTHORIZE_PAYMENT) {
      const a = output as AuthorizePaymentOutput;
      const payment = await findPaymentOfOrder(trx, saga.orderId, true);
      if (payment && a.status !== "pending") {
        await movePayment(trx, payment.paymentId, ["pending"], {
          status: a.status,
          ...(a.providerPaymentId ? { providerPaymentId: a.providerPaymentId } : {}),
          authorizedMinor: payment.amountMinor,
          ...(a.status === "captured" ? { capturedMinor: payment.amountMinor } : {}),
        });
        await setOrderPaymentStatus(trx, saga.orderId, a.status);
      }
    }
    if (saga.step === CONFIRM_RESERVATION)
      return confirmOrder(trx, saga, output as ConfirmReservationOutput, now);
    await save(trx, saga, {
      status: "running",
      step: next,
      stepOutputs: { ...saga.stepOutputs, [saga.step]: output },
      resetAttempts: true,
      nextAttemptAt: now,
      waitingSince: null,
      lastError: null,
    });
  }

  async function record(
    saga: SagaRecord,
    order: OrderRecord,
    outcome: StepOutcome,
    decision: SagaDecision,
    now: Date,
  ) {
    await deps.transaction(async (trx) => {
      switch (decision.kind) {
        case "advance":
          if (outcome.kind !== "done") throw new Error("advance without output");
          return recordAdvance(trx, saga, outcome.output, decision.step, now);
        case "confirmed":
          return;
        case "wait": {
          if (decision.status === "awaiting_payment") {
            await moveOrderStatus(trx, saga.orderId, requiredOrderStatuses("await_payment"), {
              status: "awaiting_payment",
            });
          }
          return save(trx, saga, {
            status: decision.status,
            stepOutcomes: {
              ...saga.stepOutcomes,
              [saga.step]: { kind: "wait", asked: true, at: now.toISOString() },
            },
            stepOutputs: saga.stepOutputs,
            resetAttempts: true,
            nextAttemptAt: decision.until,
            waitingSince: saga.waitingSince ?? now,
          });
        }
        case "retry":
          return save(trx, saga, {
            stepOutputs: saga.stepOutputs,
            nextAttemptAt: decision.at,
            lastError: outcome.kind === "retry" ? outcome.error : null,
          });
        case "reserve_again": {
          if (saga.reserveAttempts >= 1) {
            return startCompensation(
              trx,
              saga,
              order,
              {
                undo: [AUTHORIZE_PAYMENT, RESERVE_STOCK],
                orderOutcome: "cancel",
                refusal: "stock_lost",
                message: "the reservation lapsed again after payment",
              },
              now,
            );
          }
          return save(trx, saga, {
            reserveAttempts: saga.reserveAttempts + 1,
            resetAttempts: true,
            nextAttemptAt: now,
          });
        }
        case "compensate": {
          const refused = outcome.kind === "refused" ? outcome : undefined;
          // A manual payment that never arrived while the order waited: the order is cancelled, not rejected.
          const orderOutcome = order.status === "awaiting_payment" ? "cancel" : decision.orderOutcome;
          return startCompensation(
            trx,
            saga,
            order,
            {
              undo: decision.undo,
              orderOutcome,
              refusal: decision.refusal,
              message: refused?.message ?? (outcome.kind === "retry" ? outcome.error : decision.refusal),
              ...(refused?.shortfall ? { shortfall: refused.shortfall } : {}),
            },
            now,
          );
        }
        case "needs_attention":
          deps.metrics?.needsAttention(decision.reason);
          return save(trx, saga, {
            status: "needs_attention",
            attentionReason: decision.reason,
            nextAttemptAt: null,
            lastError: outcome.kind === "retry" ? outcome.error : decision.reason,
          });
      }
    });
  }

  async function startCompensation(
    trx: Transaction<OrderDatabase>,
    saga: SagaRecord,
    order: OrderRecord,
    c: {
      undo: CheckoutStepId[];
      orderOutcome: "reject" | "cancel";
      refusal: string;
      message: string;
      shortfall?: unknown[];
    },
    now: Date,
  ) {
    if (c.shortfall) {
      await moveOrderStatus(trx, order.orderId, [order.status], {
        status: order.status,
        shortfall: c.shortfall,
      });
    }
    if (c.refusal === "payment_declined") {
      const payment = await findPaymentOfOrder(trx, order.orderId, true);
      if (payment) await movePayment(trx, payment.paymentId, ["pending"], { status: "declined" });
      await setOrderPaymentStatus(trx, order.orderId, "declined");
    }
    await save(trx, saga, {
      status: "compensating",
      pendingUndo: c.undo,
      orderOutcome: c.orderOutcome,
      refusalReason: c.refusal,
      resetAttempts: true,
      nextAttemptAt: now,
      lastError: c.message,
      stepOutputs: saga.stepOutputs,
    });
  }

  async function finishCompensation(saga: SagaRecord, now: Date) {
    await deps.transaction(async (trx) => {
      const payment = await findPaymentOfOrder(trx, saga.orderId);
      const cancel = saga.orderOutcome === "cancel";
      const version = await moveOrderStatus(
        trx,
        saga.orderId,
        requiredOrderStatuses(cancel ? "cancel" : "reject"),
        cancel
          ? {
              status: "cancelled",
              cancelledAt: now,
              cancelledBy: cancelRequest(saga)?.by ?? "system",
              cancelReason: (cancelRequest(saga)?.reason ?? saga.lastError ?? saga.refusalReason ?? "").slice(
                0,
                500,
              ),
              ...(payment ? { paymentStatus: payment.status } : {}),
            }
          : { status: "rejected", ...(payment ? { paymentStatus: payment.status } : {}) },
      );
      if (cancel && version !== undefined) await cancelUnshippedUnits(trx, saga);
      await moveCartStatus(trx, saga.cartId, "checking_out", "open");
      await save(trx, saga, {
        // A confirmed checkout stays confirmed when its order is cancelled later (the order says so).
        status: saga.abandonRequested
          ? "abandoned"
          : saga.stepOutputs[CONFIRM_ORDER]
            ? "confirmed"
            : "failed",
        pendingUndo: [],
        nextAttemptAt: null,
        finishedAt: now,
      });
      if (cancel && version !== undefined) {
        const agg = await aggregate(trx, saga.orderId);
        const events = [orderCancelled(agg, payment !== undefined && payment.status !== "declined")];
        if (saga.refusalReason === "stock_lost") {
          events.push(orderShortfallDetected(agg));
          await bumpOrderVersion(trx, saga.orderId);
        }
        await appendToOutbox(trx, PRODUCER, events);
      }
    });
    deps.metrics?.checkoutFinished(saga.abandonRequested ? "abandoned" : "compensated");
  }

  async function compensate(saga: SagaRecord, now: Date) {
    const [step, ...rest] = saga.pendingUndo;
    if (!step) return finishCompensation(saga, now);
    let output: Record<string, unknown> | undefined;
    try {
      output = await undoCheckoutStep(deps, saga, step);
    } catch (err) {
      const error = `undo ${step}: ${describeError(err)}`;
      await deps.transaction(async (trx) => {
        if (saga.attempts >= policy.maxAttempts) {
          deps.metrics?.needsAttention("compensation_failed");
          return save(trx, saga, {
            status: "needs_attention",
            attentionReason: "compensation_failed",
            nextAttemptAt: null,
            lastError: error,
          });
        }
        return save(trx, saga, {
          nextAttemptAt: new Date(now.getTime() + retryDelayMs(policy, saga.attempts, Math.random())),
          lastError: error,
        });
      });
      return;
    }
    await deps.transaction((trx) =>
      save(trx, saga, {
        pendingUndo: rest,
        resetAttempts: true,
        nextAttemptAt: now,
        ...(output ? { stepOutputs: { ...saga.stepOutputs, ...output } } : {}),
      }),
    );
    if (rest.length === 0) {
      const fresh = await findSagaByOrder(deps.db, saga.orderId);
      if (fresh) await finishCompensation(fresh, deps.clock());
    }
  }

  async function driveOne(saga: SagaRecord): Promise<void> {
    const log = logger?.child({ orderId: saga.orderId, checkoutId: saga.checkoutId, step: saga.step });
    const now = deps.clock();
    try {
      if (saga.status === "compensating") return await compensate(saga, now);
      const order = await findOrder(deps.db, saga.orderId);
      if (!order) throw new Error(`order ${saga.orderId} of checkout ${saga.checkoutId} does not exist`);
      const run = STEP_RUNS[saga.step];
      if (!run) throw new Error(`step ${saga.step} has no run`);
      const started = performance.now();
      const outcome = await run({ deps, settings, saga, order, now }).catch(retryOutcome);
      deps.metrics?.stepRun(saga.step, outcome.kind, (performance.now() - started) / 1000);
      const decision = decide(
        { status: saga.status, step: saga.step, attempts: saga.attempts },
        outcome,
        policy,
        deps.clock(),
        { jitter: Math.random(), ...(saga.waitingSince ? { waitingSince: saga.waitingSince } : {}) },
      );
      log?.info(
        { outcome: outcome.kind, decision: decision.kind, attempts: saga.attempts },
        "checkout step ran",
      );
      await record(saga, order, outcome, decision, deps.clock());
      if (decision.kind === "advance" && saga.step === CONFIRM_RESERVATION)
        deps.metrics?.checkoutFinished("confirmed");
    } catch (err) {
      if (err instanceof LeaseLost) {
        log?.warn("checkout lease lost; the outcome is left to the saga's current holder");
        return;
      }
      log?.error({ err: describeError(err) }, "checkout step failed to record");
    }
  }

  return async function driveDueCheckouts(limit: number): Promise<number> {
    const claimed = await claimDueSagas(deps.db, deps.clock(), settings.stepLeaseMs, limit);
    await Promise.all(claimed.map(driveOne));
    return claimed.length;
  };
}
