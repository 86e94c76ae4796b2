// Stock held from add-to-cart (ORD-P1-01): one warehouse reservation per cart, kept in step with its
// lines. A change reserves the new lines first (intent row, then Reserve under the hold's own key, never
// inside a transaction), the cart's transaction swaps the holds (the new one held, the old one to
// release), and the old one is released after the commit; whatever is left (a crash, a failed release)
// the abandoned-cart worker releases. When the new lines are short only because the cart's own hold
// takes the units, the old hold is let go first and the lines reserved again; if they are still short,
// the old lines are held again where they can be and the change is refused with what is available.

import { aborted, ErrorReason, failedPrecondition, isAppError } from "@stockroom/errors";
import type { Logger } from "@stockroom/logging";
import type { Transaction } from "kysely";
import { v7 as uuidv7 } from "uuid";
import type { CartRecord } from "../data/cart.repo.ts";
import {
  type CartHoldRecord,
  claimReleasingHolds,
  findCurrentHold,
  type HoldLine,
  holdReleaseKey,
  holdReserveKey,
  insertReservingHold,
  moveHold,
  setCartHoldPointer,
} from "../data/cart-hold.repo.ts";
import type { OrderDatabase } from "../data/database.ts";
import { type CartLine, demandPerSku } from "../domain/cart-rules.ts";
import { holdMs } from "../domain/payment-hold.ts";
import type { PaymentMethodType } from "../domain/payment-status.ts";
import type { OrderSettings, UseCaseDeps } from "./use-case-deps.ts";
import type { Shortage } from "./warehouse.port.ts";

// How long a released hold is leased to the worker releasing it: three times the warehouse call's default
// deadline (DEPENDENCY_DEADLINE_MS, 5 s), and no longer, because a process killed while releasing leaves
// its claimed holds reserved until the lease runs out and a restarted worker takes them again.
const RELEASE_LEASE_MS = 15_000;

export interface NewHold {
  holdId: string;
  reservationId: string;
  expiresAt: Date;
}

export function holdDemand(lines: readonly CartLine[]): HoldLine[] {
  return demandPerSku(lines).map((d) => ({
    sku: d.sku,
    warehouseCode: d.warehouseCode,
    quantity: d.quantity,
  }));
}

function demandKey(lines: readonly HoldLine[]): string {
  return lines
    .map((l) => `${l.sku}\u0000${l.warehouseCode ?? ""}\u0000${l.quantity}`)
    .sort()
    .join("\u0001");
}

export function sameDemand(a: readonly HoldLine[], b: readonly HoldLine[]): boolean {
  return demandKey(a) === demandKey(b);
}

type Attempt = { kind: "held"; hold: NewHold } | { kind: "short"; shortages: Shortage[] };

async function reserveHold(
  deps: UseCaseDeps,
  settings: OrderSettings,
  cart: CartRecord,
  lines: HoldLine[],
): Promise<Attempt> {
  const holdId = uuidv7();
  const paymentMethod: PaymentMethodType = cart.paymentMethod ?? "card";
  const ttlMs = holdMs(settings.paymentHold, paymentMethod);
  await deps.transaction((trx) =>
    insertReservingHold(trx, { holdId, cartId: cart.cartId, lines, paymentMethod, ttlMs }),
  );
  let result: Awaited<ReturnType<UseCaseDeps["warehouse"]["reserve"]>>;
  try {
    result = await deps.warehouse.reserve({
      idempotencyKey: holdReserveKey(holdId),
      cartId: cart.cartId,
      lines,
      paymentMethod,
      ttlMs,
    });
  } catch (err) {
    // The outcome is unknown: the release replays Reserve under the same key to find out.
    await moveHold(deps.db, holdId, ["reserving"], "releasing");
    throw err;
  }
  if (result.kind === "short") {
    await moveHold(deps.db, holdId, ["reserving"], "refused");
    return { kind: "short", shortages: result.shortages };
  }
  const expiresAt = result.reservation.expiresAt ?? new Date(deps.clock().getTime() + ttlMs);
  return { kind: "held", hold: { holdId, reservationId: result.reservation.reservationId, expiresAt } };
}

function notEnoughToHold(lines: HoldLine[], shortages: Shortage[]) {
  const facts: Record<string, string> = {};
  for (const s of shortages) {
    facts[`line_${s.lineNumber}_sku`] = s.sku;
    facts[`line_${s.lineNumber}_requested`] = String(lines[s.lineNumber - 1]?.quantity ?? s.requested);
    facts[`line_${s.lineNumber}_available`] = String(s.available);
  }
  return failedPrecondition(
    ErrorReason.INSUFFICIENT_STOCK,
    `not enough stock to hold the cart: ${shortages
      .map(
        (s) =>
          `${s.sku} requested ${lines[s.lineNumber - 1]?.quantity ?? s.requested}, available ${s.available}`,
      )
      .join("; ")}`,
    facts,
    shortages.map((s) => ({
      type: "INSUFFICIENT_STOCK",
      subject: `sku/${s.sku}`,
      description: `available ${s.available}`,
    })),
  );
}

// Reserves a hold for the cart's new lines; null when they are empty (the old hold just goes). The
// returned hold is `reserving` until adoptHold records it in the cart's transaction.
export async function holdCartLines(
  deps: UseCaseDeps,
  settings: OrderSettings,
  cart: CartRecord,
  lines: readonly CartLine[],
  logger?: Logger,
): Promise<NewHold | null> {
  const demand = holdDemand(lines);
  if (demand.length === 0) return null;
  const first = await reserveHold(deps, settings, cart, demand);
  if (first.kind === "held") return first.hold;
  const current = await findCurrentHold(deps.db, cart.cartId);
  if (!current) throw notEnoughToHold(demand, first.shortages);
  // The cart's own hold may be what takes the units: let it go, then reserve the whole again.
  await deps.transaction(async (trx) => {
    if (await moveHold(trx, current.holdId, ["held"], "releasing"))
      await setCartHoldPointer(trx, cart.cartId, null);
  });
  await releaseCartHolds(deps, { cartId: cart.cartId, logger });
  const second = await reserveHold(deps, settings, cart, demand);
  if (second.kind === "held") return second.hold;
  // Still short: hold the old lines again if they can be, and refuse the change.
  const restored = await reserveHold(deps, settings, cart, current.lines);
  if (restored.kind === "held") {
    const kept = await deps.transaction(async (trx) => {
      const locked = await trx
        .selectFrom("carts")
        .select(["version", "status"])
        .where("cart_id", "=", cart.cartId)
        .forUpdate()
        .executeTakeFirst();
      if (!locked || Number(locked.version) !== cart.version || locked.status !== "open") return false;
      await adoptHold(trx, cart.cartId, restored.hold);
      return true;
    });
    if (!kept) await giveUpHold(deps, restored.hold.holdId, logger);
  }
  throw notEnoughToHold(demand, second.shortages);
}

// In the cart's transaction: the new hold becomes the cart's (the old one goes to release), or, with
// none, the cart holds nothing. Refused (ABORTED, retry) when the worker gave the new hold up meanwhile.
export async function adoptHold(
  trx: Transaction<OrderDatabase>,
  cartId: string,
  hold: NewHold | null,
): Promise<void> {
  const current = await findCurrentHold(trx, cartId);
  if (current && current.holdId !== hold?.holdId) await moveHold(trx, current.holdId, ["held"], "releasing");
  if (hold) {
    const held = await moveHold(trx, hold.holdId, ["reserving"], "held", {
      reservationId: hold.reservationId,
      expiresAt: hold.expiresAt,
    });
    if (!held) throw aborted(`the stock hold of cart ${cartId} was given up meanwhile; retry`);
  }
  await setCartHoldPointer(
    trx,
    cartId,
    hold ? { reservationId: hold.reservationId, expiresAt: hold.expiresAt } : null,
  );
}

// A new hold the cart's transaction did not take (refused, replayed, lost a race): it goes to release.
export async function giveUpHold(deps: UseCaseDeps, holdId: string, logger?: Logger): Promise<void> {
  await moveHold(deps.db, holdId, ["reserving"], "releasing");
  await releaseCartHolds(deps, { logger, holdIds: [holdId] });
}

// Releases holds waiting for it (one cart's, or any), each under its own key: a second release of one
// hold is a no-op at the warehouse, and the lease keeps two workers off one hold. A hold whose Reserve
// outcome was never learned replays Reserve under its key first (the warehouse answers the first
// outcome, or reserves now) and releases what that names. Failures stay for the next pass.
export async function releaseCartHolds(
  deps: UseCaseDeps,
  options: { cartId?: string; holdIds?: string[]; limit?: number; logger?: Logger | undefined } = {},
): Promise<number> {
  const now = deps.clock();
  const claimed = await claimReleasingHolds(
    deps.db,
    now,
    new Date(now.getTime() + RELEASE_LEASE_MS),
    options.limit ?? 100,
    { cartId: options.cartId, holdIds: options.holdIds },
  );
  let released = 0;
  for (const hold of claimed) {
    try {
      if (await releaseOne(deps, hold)) released++;
    } catch (err) {
      options.logger?.warn(
        { holdId: hold.holdId, cartId: hold.cartId, err: isAppError(err) ? err.message : String(err) },
        "cart hold release failed; the abandoned-cart worker retries",
      );
    }
  }
  return released;
}

async function releaseOne(deps: UseCaseDeps, hold: CartHoldRecord): Promise<boolean> {
  let reservationId = hold.reservationId;
  if (!reservationId) {
    const replay = await deps.warehouse.reserve({
      idempotencyKey: holdReserveKey(hold.holdId),
      cartId: hold.cartId,
      lines: hold.lines,
      paymentMethod: hold.paymentMethod,
      ttlMs: hold.ttlMs,
    });
    if (replay.kind === "short") return moveHold(deps.db, hold.holdId, ["releasing"], "refused");
    reservationId = replay.reservation.reservationId;
  }
  await deps.warehouse.release({
    idempotencyKey: holdReleaseKey(hold.holdId),
    reservationId,
    reason: "cart hold released",
  });
  return moveHold(deps.db, hold.holdId, ["releasing"], "released", { reservationId });
}
