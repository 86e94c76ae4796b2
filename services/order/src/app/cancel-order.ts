// CancelOrder: releases or un-commits exactly the order's unshipped stock and voids or refunds the
// payment for exactly those units (after a partial shipment only what has not shipped is cancelled),
// through the saga's persisted compensation. Cancelling twice acts once: a second call finds
// the cancellation requested (or done) and answers with the order as it is. A checkout still running is
// refused (CHECKOUT_IN_PROGRESS): the saga is mid-step; the caller retries once it settled.
import { aborted, ErrorReason, failedPrecondition } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { findOrder } from "../data/order.repo.ts";
import { findSagaByOrder } from "../data/saga.repo.ts";
import { openUnits } from "../domain/line-fulfillment.ts";
import { decideCancel } from "../domain/order-status.ts";
import { CANCEL_REQUEST } from "./drive-checkouts.ts";
import { loadOrder, orderNotFound } from "./get-order.ts";
import type { OrderAggregate } from "./order-message.ts";
import { requestCancellation } from "./request-cancellation.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface CancelOrderCommand {
  idempotencyKey: string;
  orderId: string;
  reason: string;
  by: "customer" | "ops";
}

export function cancelOrderUseCase(deps: UseCaseDeps, onDue?: () => void) {
  return async function cancelOrder(
    command: CancelOrderCommand,
    ctx: RequestContext,
  ): Promise<OrderAggregate> {
    const { idempotencyKey, ...request } = command;
    await deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: ctx.principal,
          operation: "cancel-order",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const saga = await findSagaByOrder(trx, command.orderId, true);
          const order = await findOrder(trx, command.orderId);
          if (!saga || !order) throw orderNotFound(command.orderId);
          const open = order.lines.reduce((n, l) => n + openUnits({ ...l, short: l.short }), 0);
          if (decideCancel(order.orderId, order.status, open).kind === "already_cancelled")
            return { orderId: order.orderId };
          if (saga.stepOutcomes[CANCEL_REQUEST]) return { orderId: order.orderId };
          if (saga.status === "running" || saga.status === "compensating") {
            throw failedPrecondition(
              ErrorReason.CHECKOUT_IN_PROGRESS,
              `order ${order.orderId}'s checkout is ${saga.status}; cancel it once the checkout settled`,
              { status: saga.status },
            );
          }
          const moved = await requestCancellation(trx, saga, {
            by: command.by,
            reason: command.reason,
            abandon: false,
            now: deps.clock(),
          });
          if (!moved) throw aborted(`order ${order.orderId} changed meanwhile; retry`);
          return { orderId: order.orderId };
        },
      ),
    );
    onDue?.();
    const found = await loadOrder(deps, command.orderId);
    if (!found) throw orderNotFound(command.orderId);
    return found;
  };
}
