// AcceptPartialQuantities: after a shortfall the customer lowers (or drops) lines to what is there, so
// the cart can be checked out again.
import { replaceCartLines } from "../data/cart.repo.ts";
import { type AcceptedQuantity, acceptPartialQuantities } from "../domain/cart-rules.ts";
import { type CartCommand, changeCart } from "./cart-change.ts";
import type { CartView } from "./cart-view.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface AcceptPartialQuantitiesCommand extends CartCommand {
  lines: AcceptedQuantity[];
}

export function acceptPartialQuantitiesUseCase(deps: UseCaseDeps) {
  return (command: AcceptPartialQuantitiesCommand, ctx: RequestContext): Promise<CartView> =>
    changeCart(deps, "accept-partial-quantities", command, ctx, async (trx, cart) => {
      const lines = acceptPartialQuantities(cart, command.lines);
      await replaceCartLines(trx, cart.cartId, lines, cart.nextLineNumber);
    });
}
