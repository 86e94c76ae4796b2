// StartCheckout's wait for the stock answer: the saga worker reserves the cart's lines right after the
// checkout is recorded, so StartCheckout waits (bounded) for that step's outcome. Short stock is then
// its own answer, FAILED_PRECONDITION (INSUFFICIENT_STOCK) with what is available per cart line, once the
// cart is open again (the rejected checkout compensated), so AcceptPartialQuantities works at once.
// Anything else (reserved, refused for another reason, or no answer within the wait) answers with the
// order as it stands; the order carries its shortfall either way.
import { setTimeout as sleep } from "node:timers/promises";
import { AppError, ErrorReason } from "@stockroom/errors";
import { findOrder } from "../data/order.repo.ts";
import { findSagaByOrder, type SagaRecord } from "../data/saga.repo.ts";
import {
  RESERVE_STOCK,
  type ShortLine,
  stepIndex,
  TERMINAL_CHECKOUT_STATUSES,
} from "../domain/checkout-saga.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 100;

export interface CheckoutShortfall {
  cartId: string;
  orderId: string;
  lines: ShortLine[];
}

// The refusal; the transport packs `shortfall` into the error detail as stockroom.order.v1.CheckoutShortfall.
export class CheckoutShortfallError extends AppError {
  readonly shortfall: CheckoutShortfall;

  constructor(shortfall: CheckoutShortfall) {
    const lines = shortfall.lines;
    const facts: Record<string, string> = {
      cart_id: shortfall.cartId,
      order_id: shortfall.orderId,
    };
    for (const l of lines) {
      facts[`line_${l.lineNumber}_sku`] = l.sku;
      facts[`line_${l.lineNumber}_requested`] = String(l.requested);
      facts[`line_${l.lineNumber}_available`] = String(l.available);
    }
    super(
      "failed_precondition",
      `not enough stock for ${lines.length} cart line(s): ${lines
        .map((l) => `line ${l.lineNumber} ${l.sku} requested ${l.requested}, available ${l.available}`)
        .join("; ")}`,
      {
        reason: ErrorReason.INSUFFICIENT_STOCK,
        metadata: facts,
        preconditionViolations: lines.map((l) => ({
          type: "INSUFFICIENT_STOCK",
          subject: `line/${l.lineNumber}/sku/${l.sku}`,
          description: `requested ${l.requested}, available ${l.available}`,
        })),
      },
    );
    this.shortfall = shortfall;
  }
}

function refusedForStock(saga: SagaRecord): boolean {
  return saga.refusalReason === "insufficient_stock";
}

// The stock answer is in: reserved (the saga went past the reserve step) or finished either way.
function stockAnswered(saga: SagaRecord): boolean {
  return (
    TERMINAL_CHECKOUT_STATUSES.has(saga.status) ||
    saga.status === "awaiting_payment" ||
    stepIndex(saga.step) > stepIndex(RESERVE_STOCK) ||
    saga.status === "needs_attention"
  );
}

export function awaitStockAnswer(deps: UseCaseDeps, waitMs: number) {
  return async function stockAnswer(orderId: string): Promise<void> {
    if (waitMs <= 0) return;
    const deadline = Date.now() + waitMs;
    let pause = FIRST_POLL_MS;
    for (;;) {
      const saga = await findSagaByOrder(deps.db, orderId);
      if (!saga) return;
      const timedOut = Date.now() >= deadline;
      if (refusedForStock(saga) && (saga.status === "failed" || timedOut)) {
        const order = await findOrder(deps.db, orderId);
        throw new CheckoutShortfallError({
          cartId: saga.cartId,
          orderId,
          lines: (order?.shortfall ?? []) as ShortLine[],
        });
      }
      if ((!refusedForStock(saga) && stockAnswered(saga)) || timedOut) return;
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(pause * 2, MAX_POLL_MS);
    }
  };
}
