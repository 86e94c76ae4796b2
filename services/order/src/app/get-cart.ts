// GetCart: the cart with current prices and availability (stale-marked when the catalog is down).
import { findCart } from "../data/cart.repo.ts";
import { cartNotFound } from "./cart-change.ts";
import { type CartView, cartViewOf } from "./cart-view.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export function getCartUseCase(deps: UseCaseDeps) {
  return async function getCart(cartId: string): Promise<CartView> {
    const cart = await findCart(deps.db, cartId);
    if (!cart) throw cartNotFound(cartId);
    return cartViewOf(cart, deps.catalog, deps.clock());
  };
}
