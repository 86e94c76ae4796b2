// AddCartLine: asks the catalog whether the sku is for sale and the warehouse whether the named
// warehouse exists (ORD-P0-02) before the transaction, then adds to the cart under its lock.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { replaceCartLines } from "../data/cart.repo.ts";
import { addLine } from "../domain/cart-rules.ts";
import { type CartCommand, changeCart } from "./cart-change.ts";
import type { CartView } from "./cart-view.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface AddCartLineCommand extends CartCommand {
  sku: string;
  quantity: number;
  warehouseCode: string | null;
}

export function addCartLineUseCase(deps: UseCaseDeps) {
  return async function addCartLine(command: AddCartLineCommand, ctx: RequestContext): Promise<CartView> {
    const [{ products }, warehouseKnown] = await Promise.all([
      deps.catalog.fetchProducts([command.sku]),
      command.warehouseCode ? deps.warehouse.warehouseExists(command.warehouseCode) : Promise.resolve(true),
    ]);
    const product = products[0];
    if (!product) {
      throw notFound(ErrorReason.PRODUCT_NOT_FOUND, `sku ${command.sku} is not in the catalog`, {
        sku: command.sku,
      });
    }
    if (product.status !== "active") {
      throw failedPrecondition(
        ErrorReason.PRODUCT_NOT_SELLABLE,
        `sku ${command.sku} is ${product.status}, not for sale`,
        {
          sku: command.sku,
          status: product.status,
        },
      );
    }
    if (!warehouseKnown) {
      throw notFound(ErrorReason.WAREHOUSE_NOT_FOUND, `warehouse ${command.warehouseCode} does not exist`, {
        warehouse_code: command.warehouseCode ?? "",
      });
    }
    return changeCart(deps, "add-cart-line", command, ctx, async (trx, cart) => {
      if (product.price.currency !== cart.currency) {
        throw failedPrecondition(
          ErrorReason.CURRENCY_MISMATCH,
          `sku ${command.sku} is priced in ${product.price.currency}, the cart is in ${cart.currency}`,
          { sku: command.sku },
        );
      }
      const change = addLine(cart, {
        sku: command.sku,
        quantity: command.quantity,
        warehouseCode: command.warehouseCode,
      });
      await replaceCartLines(trx, cart.cartId, change.lines, change.nextLineNumber);
    });
  };
}
