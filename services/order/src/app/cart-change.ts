// The write template every cart command shares: in one transaction, claim the idempotency key, lock the
// cart, check the version the caller read, apply the change; then answer with the cart view (read after
// commit, so a catalog call never runs inside the transaction).
import { aborted, ErrorReason, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import type { Transaction } from "kysely";
import { type CartRecord, findCart } from "../data/cart.repo.ts";
import type { OrderDatabase } from "../data/database.ts";
import { type CartView, cartViewOf } from "./cart-view.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface CartCommand {
  idempotencyKey: string;
  cartId: string;
  // 0 skips the check.
  expectedVersion: number;
}

export function cartNotFound(cartId: string) {
  return notFound(ErrorReason.CART_NOT_FOUND, `cart ${cartId} does not exist`, { cart_id: cartId });
}

export async function lockCart(
  trx: Transaction<OrderDatabase>,
  cartId: string,
  expectedVersion = 0,
): Promise<CartRecord> {
  const cart = await findCart(trx, cartId, true);
  if (!cart) throw cartNotFound(cartId);
  if (expectedVersion !== 0 && cart.version !== expectedVersion) {
    throw aborted(
      `cart ${cartId} is at version ${cart.version}, not ${expectedVersion}`,
      ErrorReason.CONCURRENT_MODIFICATION,
      {
        version: String(cart.version),
      },
    );
  }
  return cart;
}

export async function changeCart<C extends CartCommand>(
  deps: UseCaseDeps,
  operation: string,
  command: C,
  ctx: RequestContext,
  change: (trx: Transaction<OrderDatabase>, cart: CartRecord) => Promise<void>,
): Promise<CartView> {
  const { idempotencyKey, ...request } = command;
  await deps.transaction((trx) =>
    runIdempotent(
      trx,
      { principal: ctx.principal, operation, key: idempotencyKey, fingerprint: fingerprintOf(request) },
      async () => {
        const cart = await lockCart(trx, command.cartId, command.expectedVersion);
        await change(trx, cart);
        return { cartId: command.cartId };
      },
    ),
  );
  const cart = await findCart(deps.db, command.cartId);
  if (!cart) throw cartNotFound(command.cartId);
  return cartViewOf(cart, deps.catalog, deps.clock());
}
