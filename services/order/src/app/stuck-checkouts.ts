// Ops on stuck checkouts: list those needing attention (oldest first, with reason), retry one from its
// persisted state (attempts reset), or abandon one (compensate: release, void or refund; cancel).
import { aborted, ErrorReason, failedPrecondition } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { findSagaByOrder, listSagasNeedingAttention, updateSaga } from "../data/saga.repo.ts";
import { loadOrder, orderNotFound } from "./get-order.ts";
import type { OrderAggregate } from "./order-message.ts";
import { requestCancellation } from "./request-cancellation.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export function listOrdersNeedingAttentionUseCase(deps: UseCaseDeps) {
  return async function listOrdersNeedingAttention(query: {
    reasons: string[];
    pageSize: number;
    afterCheckoutId?: string;
  }): Promise<{ orders: OrderAggregate[]; nextAfter?: string }> {
    const rows = await listSagasNeedingAttention(deps.db, {
      reasons: query.reasons,
      limit: query.pageSize + 1,
      ...(query.afterCheckoutId ? { afterCheckoutId: query.afterCheckoutId } : {}),
    });
    const page = rows.slice(0, query.pageSize);
    const orders = (await Promise.all(page.map((r) => loadOrder(deps, r.orderId)))).filter(
      (o): o is OrderAggregate => o !== undefined,
    );
    const last = page.at(-1);
    return rows.length > query.pageSize && last ? { orders, nextAfter: last.checkoutId } : { orders };
  };
}

export interface StuckCheckoutCommand {
  idempotencyKey: string;
  orderId: string;
  note: string;
}

function stuckCheckoutUseCase(
  deps: UseCaseDeps,
  operation: "retry-checkout" | "abandon-checkout",
  onDue?: () => void,
) {
  return async function act(command: StuckCheckoutCommand, ctx: RequestContext): Promise<OrderAggregate> {
    const { idempotencyKey, ...request } = command;
    await deps.transaction((trx) =>
      runIdempotent(
        trx,
        { principal: ctx.principal, operation, key: idempotencyKey, fingerprint: fingerprintOf(request) },
        async () => {
          const saga = await findSagaByOrder(trx, command.orderId, true);
          if (!saga) throw orderNotFound(command.orderId);
          if (saga.status !== "needs_attention") {
            throw failedPrecondition(
              ErrorReason.CHECKOUT_NOT_RETRYABLE,
              `order ${command.orderId}'s checkout is ${saga.status}, not needs_attention`,
              { status: saga.status },
            );
          }
          const now = deps.clock();
          const moved =
            operation === "abandon-checkout"
              ? await requestCancellation(trx, saga, { by: "ops", reason: command.note, abandon: true, now })
              : await updateSaga(trx, saga.checkoutId, saga.version, {
                  // Back to where it was going: compensating if a compensation had started.
                  status: saga.orderOutcome ? "compensating" : "running",
                  resetAttempts: true,
                  attentionReason: null,
                  nextAttemptAt: now,
                  lastError: command.note ? `retried by ops: ${command.note}` : null,
                });
          if (!moved) throw aborted(`order ${command.orderId}'s checkout changed meanwhile; retry`);
          return { orderId: command.orderId };
        },
      ),
    );
    onDue?.();
    const found = await loadOrder(deps, command.orderId);
    if (!found) throw orderNotFound(command.orderId);
    return found;
  };
}

export function retryCheckoutUseCase(deps: UseCaseDeps, onDue?: () => void) {
  return stuckCheckoutUseCase(deps, "retry-checkout", onDue);
}

export function abandonCheckoutUseCase(deps: UseCaseDeps, onDue?: () => void) {
  return stuckCheckoutUseCase(deps, "abandon-checkout", onDue);
}
