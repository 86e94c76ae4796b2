// The abandoned-cart worker's use case (ORD-P1-01): carts holding stock from add-to-cart that stayed
// idle past the abandon timeout are abandoned and their holds go to release, in one short transaction
// (the carts locked, SKIP LOCKED: a cart being edited or checked out right now is left for the next
// pass, and an edit that committed first made it active again); intents a crashed command left behind
// go to release too; then every hold waiting for release is released, outside any transaction, and
// holds settled a week ago are deleted.
import type { Logger } from "@stockroom/logging";
import { moveCartStatus } from "../data/cart.repo.ts";
import {
  abandonStaleReservingHolds,
  deleteSettledHoldsBefore,
  lockIdleOpenCarts,
  releaseHoldsOfCarts,
} from "../data/cart-hold.repo.ts";
import { releaseCartHolds } from "./cart-hold.ts";
import type { OrderSettings, UseCaseDeps } from "./use-case-deps.ts";

export const DEFAULT_CART_ABANDON_AFTER_MS = 60 * 60_000;
// A cart command's hold intent older than this has lost its command (Reserve takes seconds at most).
export const DEFAULT_HOLD_INTENT_TIMEOUT_MS = 60_000;
// Settled holds (released, refused, taken over by a checkout) are kept this long for a look, then deleted.
export const SETTLED_HOLD_RETENTION_MS = 7 * 24 * 3_600_000;

export interface AbandonPass {
  abandoned: number;
  released: number;
}

export function abandonIdleCartsUseCase(deps: UseCaseDeps, settings: OrderSettings, logger?: Logger) {
  const abandonAfterMs = settings.cartAbandonAfterMs ?? DEFAULT_CART_ABANDON_AFTER_MS;
  const intentTimeoutMs = settings.cartHoldIntentTimeoutMs ?? DEFAULT_HOLD_INTENT_TIMEOUT_MS;
  return async function abandonIdleCarts(limit: number): Promise<AbandonPass> {
    const now = deps.clock();
    const abandoned = await deps.transaction(async (trx) => {
      const cartIds = await lockIdleOpenCarts(trx, new Date(now.getTime() - abandonAfterMs), limit);
      for (const cartId of cartIds) await moveCartStatus(trx, cartId, "open", "abandoned");
      await releaseHoldsOfCarts(trx, cartIds);
      return cartIds.length;
    });
    await abandonStaleReservingHolds(deps.db, new Date(now.getTime() - intentTimeoutMs));
    const released = await releaseCartHolds(deps, { limit, logger });
    await deleteSettledHoldsBefore(deps.db, new Date(now.getTime() - SETTLED_HOLD_RETENTION_MS), limit);
    if (abandoned > 0 || released > 0)
      logger?.info({ abandoned, released }, "idle carts abandoned, holds released");
    return { abandoned, released };
  };
}
