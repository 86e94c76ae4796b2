// UpdateCartLine and RemoveCartLine: change or drop one line under the cart's lock.
import { replaceCartLines } from "../data/cart.repo.ts";
import { removeLine, updateLineQuantity } from "../domain/cart-rules.ts";
import { type CartCommand, changeCart } from "./cart-change.ts";
import type { CartView } from "./cart-view.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface UpdateCartLineCommand extends CartCommand {
  lineNumber: number;
  quantity: number;
}

export function updateCartLineUseCase(deps: UseCaseDeps) {
  return (command: UpdateCartLineCommand, ctx: RequestContext): Promise<CartView> =>
    changeCart(deps, "update-cart-line", command, ctx, async (trx, cart) => {
      const change = updateLineQuantity(cart, command.lineNumber, command.quantity);
      await replaceCartLines(trx, cart.cartId, change.lines, change.nextLineNumber);
    });
}

export interface RemoveCartLineCommand extends CartCommand {
  lineNumber: number;
}

export function removeCartLineUseCase(deps: UseCaseDeps) {
  return (command: RemoveCartLineCommand, ctx: RequestContext): Promise<CartView> =>
    changeCart(deps, "remove-cart-line", command, ctx, async (trx, cart) => {
      const change = removeLine(cart, command.lineNumber);
      await replaceCartLines(trx, cart.cartId, change.lines, change.nextLineNumber);
    });
}
