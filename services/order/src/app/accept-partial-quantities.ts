// AcceptPartialQuantities: after a shortfall the customer lowers (or drops) lines to what is there, so
// the cart can be checked out again.
import { type AcceptedQuantity, acceptPartialQuantities } from "../domain/cart-rules.ts";
import type { CartCommand } from "./cart-change.ts";
import { changeCartLines } from "./cart-lines-change.ts";
import type { CartView } from "./cart-view.ts";
import type { OrderSettings, RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface AcceptPartialQuantitiesCommand extends CartCommand {
  lines: AcceptedQuantity[];
}

export function acceptPartialQuantitiesUseCase(deps: UseCaseDeps, settings: OrderSettings) {
  return (command: AcceptPartialQuantitiesCommand, ctx: RequestContext): Promise<CartView> =>
    changeCartLines(deps, settings, "accept-partial-quantities", command, ctx, (cart) => ({
      lines: acceptPartialQuantities(cart, command.lines),
      nextLineNumber: cart.nextLineNumber,
    }));
}
