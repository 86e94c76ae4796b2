// The template of every change of a cart's lines (add, update, remove, accept partial quantities). A
// cart held at checkout changes in one transaction (changeCart). A cart that holds its stock from
// add-to-cart plans the change on what it read, reserves the new lines outside any transaction
// (cart-hold.ts), then applies the change and swaps the holds in the cart's transaction, provided the
// cart is still the version it planned on (else ABORTED: retry); the old hold is released after the
// commit. A replayed key changes nothing and holds nothing.

import { aborted, ErrorReason } from "@stockroom/errors";
import type { Logger } from "@stockroom/logging";
import { type CartRecord, findCart, replaceCartLines } from "../data/cart.repo.ts";
import { findCurrentHold } from "../data/cart-hold.repo.ts";
import type { CartLine } from "../domain/cart-rules.ts";
import { type CartCommand, cartNotFound, changeCart } from "./cart-change.ts";
import {
  adoptHold,
  giveUpHold,
  holdCartLines,
  holdDemand,
  type NewHold,
  releaseCartHolds,
  sameDemand,
} from "./cart-hold.ts";
import type { CartView } from "./cart-view.ts";
import type { OrderSettings, RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface LinesPlan {
  lines: CartLine[];
  nextLineNumber: number;
}

async function alreadyAnswered(deps: UseCaseDeps, operation: string, key: string, principal: string) {
  const row = await deps.db
    .selectFrom("idempotency_records")
    .select("idempotency_key")
    .where("principal", "=", principal)
    .where("operation", "=", operation)
    .where("idempotency_key", "=", key)
    .executeTakeFirst();
  return row !== undefined;
}

export async function changeCartLines<C extends CartCommand>(
  deps: UseCaseDeps,
  settings: OrderSettings,
  operation: string,
  command: C,
  ctx: RequestContext,
  plan: (cart: CartRecord) => LinesPlan,
  logger?: Logger,
): Promise<CartView> {
  const applyPlan = async (trx: Parameters<Parameters<typeof changeCart>[4]>[0], cart: CartRecord) => {
    const planned = plan(cart);
    await replaceCartLines(trx, cart.cartId, planned.lines, planned.nextLineNumber);
  };
  const snapshot = await findCart(deps.db, command.cartId);
  if (!snapshot) throw cartNotFound(command.cartId);
  if (
    snapshot.stockHoldMode !== "from_add_to_cart" ||
    (await alreadyAnswered(deps, operation, command.idempotencyKey, ctx.principal))
  ) {
    return changeCart(deps, operation, command, ctx, applyPlan);
  }
  if (command.expectedVersion !== 0 && snapshot.version !== command.expectedVersion) {
    // The transaction refuses it the same way, before any stock is held.
    return changeCart(deps, operation, command, ctx, applyPlan);
  }
  // Domain refusals (limits, a cart not open) come before any stock is held.
  const planned = plan(snapshot);
  // The same demand (a quantity set to what it was, lines accepted as they are): the hold stays.
  const current = await findCurrentHold(deps.db, snapshot.cartId);
  if (current && sameDemand(current.lines, holdDemand(planned.lines))) {
    return changeCart(deps, operation, command, ctx, applyPlan);
  }
  const hold: NewHold | null = await holdCartLines(deps, settings, snapshot, planned.lines, logger);
  // Set once the transaction that took the hold committed (not on a replayed key, nor a rolled back try).
  let applied = false;
  let ran = false;
  let view: CartView;
  try {
    view = await changeCart(deps, operation, command, ctx, async (trx, cart) => {
      if (cart.version !== snapshot.version) {
        throw aborted(
          `cart ${cart.cartId} changed while its stock was being held (version ${cart.version}, not ${snapshot.version}); retry`,
          ErrorReason.CONCURRENT_MODIFICATION,
          { version: String(cart.version) },
        );
      }
      await applyPlan(trx, cart);
      await adoptHold(trx, cart.cartId, hold);
      ran = true;
    });
    applied = ran;
  } finally {
    if (!applied && hold) await giveUpHold(deps, hold.holdId, logger);
  }
  // The superseded hold, now; a failure here is left to the abandoned-cart worker.
  await releaseCartHolds(deps, { cartId: command.cartId, logger }).catch((err: unknown) =>
    logger?.warn({ cartId: command.cartId, err: String(err) }, "cart hold release deferred to the worker"),
  );
  return view;
}
