// AddCartLine: asks the catalog whether the sku is for sale and the warehouse whether the named
// warehouse exists (ORD-P0-02) before the transaction, then adds to the cart under its lock (holding
// the stock first when the cart holds from add-to-cart).
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { addLine } from "../domain/cart-rules.ts";
import type { CartCommand } from "./cart-change.ts";
import { changeCartLines } from "./cart-lines-change.ts";
import type { CartView } from "./cart-view.ts";
import type { OrderSettings, RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface AddCartLineCommand extends CartCommand {
  sku: string;
  quantity: number;
  warehouseCode: string | null;
}

export function addCartLineUseCase(deps: UseCaseDeps, settings: OrderSettings) {
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
    return changeCartLines(deps, settings, "add-cart-line", command, ctx, (cart) => {
      if (product.price.currency !== cart.currency) {
        throw failedPrecondition(
          ErrorReason.CURRENCY_MISMATCH,
          `sku ${command.sku} is priced in ${product.price.currency}, the cart is in ${cart.currency}`,
          { sku: command.sku },
        );
      }
      return addLine(cart, {
        sku: command.sku,
        quantity: command.quantity,
        warehouseCode: command.warehouseCode,
      });
    });
  };
}
