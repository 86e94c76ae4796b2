// CreateCart: a new open cart for a customer, in the service's hold mode.
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { v7 as uuidv7 } from "uuid";
import { findCart, insertCart } from "../data/cart.repo.ts";
import { cartNotFound } from "./cart-change.ts";
import { type CartView, cartViewOf } from "./cart-view.ts";
import type { OrderSettings, RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface CreateCartCommand {
  idempotencyKey: string;
  customerId: string;
  // Empty: the service's default.
  currency: string;
}

export function createCartUseCase(deps: UseCaseDeps, settings: OrderSettings) {
  return async function createCart(command: CreateCartCommand, ctx: RequestContext): Promise<CartView> {
    const { idempotencyKey, ...request } = command;
    const { cartId } = await deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: ctx.principal,
          operation: "create-cart",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const cartId = uuidv7();
          await insertCart(trx, {
            cartId,
            customerId: command.customerId,
            currency: command.currency || settings.defaultCurrency,
            stockHoldMode: settings.stockHoldMode,
          });
          return { cartId };
        },
      ),
    );
    const cart = await findCart(deps.db, cartId);
    if (!cart) throw cartNotFound(cartId);
    return cartViewOf(cart, deps.catalog, deps.clock());
  };
}
