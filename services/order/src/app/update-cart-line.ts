// UpdateCartLine and RemoveCartLine: change or drop one line under the cart's lock (and its stock hold,
// when the cart holds from add-to-cart).
import { removeLine, updateLineQuantity } from "../domain/cart-rules.ts";
import type { CartCommand } from "./cart-change.ts";
import { changeCartLines } from "./cart-lines-change.ts";
import type { CartView } from "./cart-view.ts";
import type { OrderSettings, RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface UpdateCartLineCommand extends CartCommand {
  lineNumber: number;
  quantity: number;
}

export function updateCartLineUseCase(deps: UseCaseDeps, settings: OrderSettings) {
  return (command: UpdateCartLineCommand, ctx: RequestContext): Promise<CartView> =>
    changeCartLines(deps, settings, "update-cart-line", command, ctx, (cart) =>
      updateLineQuantity(cart, command.lineNumber, command.quantity),
    );
}

export interface RemoveCartLineCommand extends CartCommand {
  lineNumber: number;
}

export function removeCartLineUseCase(deps: UseCaseDeps, settings: OrderSettings) {
  return (command: RemoveCartLineCommand, ctx: RequestContext): Promise<CartView> =>
    changeCartLines(deps, settings, "remove-cart-line", command, ctx, (cart) =>
      removeLine(cart, command.lineNumber),
    );
}
