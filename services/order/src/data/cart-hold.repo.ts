// Cart stock holds (from_add_to_cart mode): named queries. Every status change is guarded by the status
// it expects (`WHERE status = $from`), so a cart edit, the abandoned-cart worker and a checkout racing
// for one hold cannot both move it; the cart row's lock orders the edits of one cart.
import { type Executor, sql } from "@stockroom/db";
import type { PaymentMethodType } from "../domain/payment-status.ts";
import type { CartHoldStatus, OrderDatabase } from "./database.ts";

type Db = Executor<OrderDatabase>;

export interface HoldLine {
  sku: string;
  warehouseCode: string | null;
  quantity: number;
}

export interface CartHoldRecord {
  holdId: string;
  cartId: string;
  status: CartHoldStatus;
  lines: HoldLine[];
  paymentMethod: PaymentMethodType;
  ttlMs: number;
  reservationId: string | null;
  expiresAt: Date | null;
  checkoutId: string | null;
}

// The warehouse Reserve's idempotency key of a hold: a rerun of the call gets the first answer back.
export function holdReserveKey(holdId: string): string {
  return `cart-hold:${holdId}`;
}

export function holdReleaseKey(holdId: string): string {
  return `cart-hold:${holdId}:release`;
}

function holdFrom(row: {
  hold_id: string;
  cart_id: string;
  status: CartHoldStatus;
  lines: HoldLine[];
  payment_method: PaymentMethodType;
  ttl_ms: number;
  reservation_id: string | null;
  expires_at: Date | null;
  checkout_id: string | null;
}): CartHoldRecord {
  return {
    holdId: row.hold_id,
    cartId: row.cart_id,
    status: row.status,
    lines: row.lines,
    paymentMethod: row.payment_method,
    ttlMs: row.ttl_ms,
    reservationId: row.reservation_id,
    expiresAt: row.expires_at,
    checkoutId: row.checkout_id,
  };
}

// The intent, before the warehouse hears of it.
export async function insertReservingHold(
  db: Db,
  hold: {
    holdId: string;
    cartId: string;
    lines: HoldLine[];
    paymentMethod: PaymentMethodType;
    ttlMs: number;
  },
): Promise<void> {
  await db
    .insertInto("cart_holds")
    .values({
      hold_id: hold.holdId,
      cart_id: hold.cartId,
      status: "reserving",
      lines: JSON.stringify(hold.lines),
      payment_method: hold.paymentMethod,
      ttl_ms: hold.ttlMs,
      reservation_id: null,
      expires_at: null,
      checkout_id: null,
      lease_until: null,
    })
    .execute();
}

export async function findCurrentHold(db: Db, cartId: string): Promise<CartHoldRecord | undefined> {
  const row = await db
    .selectFrom("cart_holds")
    .selectAll()
    .where("cart_id", "=", cartId)
    .where("status", "=", "held")
    .executeTakeFirst();
  return row ? holdFrom(row) : undefined;
}

export async function findHandedOverHold(db: Db, checkoutId: string): Promise<CartHoldRecord | undefined> {
  const row = await db
    .selectFrom("cart_holds")
    .selectAll()
    .where("checkout_id", "=", checkoutId)
    .where("status", "=", "handed_over")
    .executeTakeFirst();
  return row ? holdFrom(row) : undefined;
}

// A guarded move of one hold; false when it was not in `from` (someone else moved it first).
export async function moveHold(
  db: Db,
  holdId: string,
  from: readonly CartHoldStatus[],
  to: CartHoldStatus,
  set: { reservationId?: string; expiresAt?: Date | null; checkoutId?: string } = {},
): Promise<boolean> {
  const result = await db
    .updateTable("cart_holds")
    .set({
      status: to,
      updated_at: new Date(),
      lease_until: null,
      ...(set.reservationId !== undefined ? { reservation_id: set.reservationId } : {}),
      ...(set.expiresAt !== undefined ? { expires_at: set.expiresAt } : {}),
      ...(set.checkoutId !== undefined ? { checkout_id: set.checkoutId } : {}),
    })
    .where("hold_id", "=", holdId)
    .where("status", "in", [...from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// The cart's own pointer to its current hold (what GetCart shows).
export async function setCartHoldPointer(
  db: Db,
  cartId: string,
  hold: { reservationId: string; expiresAt: Date } | null,
): Promise<void> {
  await db
    .updateTable("carts")
    .set({ hold_reservation_id: hold?.reservationId ?? null, hold_expires_at: hold?.expiresAt ?? null })
    .where("cart_id", "=", cartId)
    .execute();
}

// Open carts holding from add-to-cart, idle since before `idleBefore`, locked (others skipped): the
// worker abandons them.
export async function lockIdleOpenCarts(db: Db, idleBefore: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("carts")
    .select("cart_id")
    .where("status", "=", "open")
    .where("stock_hold_mode", "=", "from_add_to_cart")
    .where("last_activity_at", "<", idleBefore)
    .orderBy("last_activity_at")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((r) => r.cart_id);
}

// Every held hold of the carts goes to releasing; the cart pointers are cleared.
export async function releaseHoldsOfCarts(db: Db, cartIds: readonly string[]): Promise<number> {
  if (cartIds.length === 0) return 0;
  const result = await db
    .updateTable("cart_holds")
    .set({ status: "releasing", updated_at: new Date(), lease_until: null })
    .where("cart_id", "in", [...cartIds])
    .where("status", "=", "held")
    .executeTakeFirst();
  await db
    .updateTable("carts")
    .set({ hold_reservation_id: null, hold_expires_at: null })
    .where("cart_id", "in", [...cartIds])
    .execute();
  return Number(result.numUpdatedRows);
}

// Intents older than `before` whose command never came back (a crash, a lost connection): they are
// released like any superseded hold (the release replays Reserve under the hold's key to learn the
// reservation, if any). A command still running finds its hold moved and is refused (ABORTED).
export async function abandonStaleReservingHolds(db: Db, before: Date): Promise<number> {
  const result = await db
    .updateTable("cart_holds")
    .set({ status: "releasing", updated_at: new Date() })
    .where("status", "=", "reserving")
    .where("updated_at", "<", before)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// Holds to release, leased to the caller until `leaseUntil` (another worker skips them meanwhile).
export async function claimReleasingHolds(
  db: Db,
  now: Date,
  leaseUntil: Date,
  limit: number,
  only: { cartId?: string | undefined; holdIds?: readonly string[] | undefined } = {},
): Promise<CartHoldRecord[]> {
  const cartFilter = only.cartId === undefined ? sql`` : sql`AND cart_id = ${only.cartId}`;
  const holdFilter =
    only.holdIds === undefined ? sql`` : sql`AND hold_id = ANY(${[...only.holdIds]}::uuid[])`;
  const { rows } = await sql<Parameters<typeof holdFrom>[0]>`
    UPDATE cart_holds SET lease_until = ${leaseUntil}
    WHERE hold_id IN (
      SELECT hold_id FROM cart_holds
      WHERE status = 'releasing' AND (lease_until IS NULL OR lease_until < ${now}) ${cartFilter} ${holdFilter}
      ORDER BY updated_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING hold_id, cart_id, status, lines, payment_method, ttl_ms, reservation_id, expires_at, checkout_id`.execute(
    db,
  );
  return rows.map(holdFrom);
}

// Holds whose life ended (released, refused, taken over by a checkout) longer ago than `before`, at most
// `limit` of them: the table keeps only what a cart or a running checkout may still need.
export async function deleteSettledHoldsBefore(db: Db, before: Date, limit: number): Promise<number> {
  const result = await sql`
    DELETE FROM cart_holds WHERE hold_id IN (
      SELECT hold_id FROM cart_holds
      WHERE status IN ('released', 'refused', 'handed_over') AND updated_at < ${before}
      LIMIT ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
