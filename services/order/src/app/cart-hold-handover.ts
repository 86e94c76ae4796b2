// The cart's stock hold at checkout (from_add_to_cart mode). StartCheckout's transaction hands the
// cart's hold to the checkout when it covers exactly the lines being checked out (else it goes to
// release, and the saga reserves anew); the saga's reserve step then extends the handed-over
// reservation to the payment method's hold instead of reserving the same units a second time. A hold
// that lapsed meanwhile is released and the step reserves anew.
import { isAppError } from "@stockroom/errors";
import type { Transaction } from "kysely";
import type { CartRecord } from "../data/cart.repo.ts";
import { findCurrentHold, findHandedOverHold, moveHold, setCartHoldPointer } from "../data/cart-hold.repo.ts";
import type { OrderDatabase } from "../data/database.ts";
import { holdDemand, releaseCartHolds, sameDemand } from "./cart-hold.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export async function handOverCartHold(
  trx: Transaction<OrderDatabase>,
  cart: CartRecord,
  checkoutId: string,
): Promise<void> {
  const current = await findCurrentHold(trx, cart.cartId);
  if (!current) return;
  if (sameDemand(current.lines, holdDemand(cart.lines))) {
    await moveHold(trx, current.holdId, ["held"], "handed_over", { checkoutId });
  } else {
    await moveHold(trx, current.holdId, ["held"], "releasing");
  }
  await setCartHoldPointer(trx, cart.cartId, null);
}

// The reservation the checkout took over from its cart, extended to `ttlMs` (key `<extendKey>`); undefined
// when there is none or it lapsed (then it is released, and every other hold the cart let go of too, so
// a fresh reservation does not compete with the cart's own units).
export async function takeOverCartHold(
  deps: UseCaseDeps,
  request: { checkoutId: string; cartId: string; extendKey: string; ttlMs: number },
): Promise<{ reservationId: string; expiresAt: Date } | undefined> {
  const adopted = await findHandedOverHold(deps.db, request.checkoutId);
  if (adopted?.reservationId) {
    try {
      await deps.warehouse.extend({
        idempotencyKey: request.extendKey,
        reservationId: adopted.reservationId,
        ttlMs: request.ttlMs,
      });
      return {
        reservationId: adopted.reservationId,
        expiresAt: new Date(deps.clock().getTime() + request.ttlMs),
      };
    } catch (err) {
      // The warehouse is away: the step retries under the same key.
      if (isAppError(err) && err.kind === "unavailable") throw err;
      await moveHold(deps.db, adopted.holdId, ["handed_over"], "releasing");
    }
  }
  await releaseCartHolds(deps, { cartId: request.cartId });
  return undefined;
}
