// Carts and their lines: named queries. Every change of a cart bumps its version under the guard
// `WHERE version = $expected`, so two racing writers cannot both win.
import { type Executor, sql } from "@stockroom/db";
import type { CartLine, CartStatus } from "../domain/cart-rules.ts";
import type { PaymentMethodType } from "../domain/payment-status.ts";
import type { OrderDatabase } from "./database.ts";

export interface CartRecord {
  cartId: string;
  customerId: string;
  status: CartStatus;
  currency: string;
  nextLineNumber: number;
  shippingDestination: Record<string, unknown> | null;
  paymentMethod: PaymentMethodType | null;
  paymentToken: string;
  stockHoldMode: "at_checkout" | "from_add_to_cart";
  holdReservationId: string | null;
  holdExpiresAt: Date | null;
  latestOrderId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  lines: CartLine[];
}

type Db = Executor<OrderDatabase>;

export async function insertCart(
  db: Db,
  cart: { cartId: string; customerId: string; currency: string; stockHoldMode: CartRecord["stockHoldMode"] },
): Promise<void> {
  await db
    .insertInto("carts")
    .values({
      cart_id: cart.cartId,
      customer_id: cart.customerId,
      currency: cart.currency,
      stock_hold_mode: cart.stockHoldMode,
      payment_method: null,
      hold_reservation_id: null,
      hold_expires_at: null,
      latest_order_id: null,
      shipping_destination: null,
    })
    .execute();
}

// The cart and its lines; `forUpdate` locks the cart row for the rest of the transaction.
export async function findCart(db: Db, cartId: string, forUpdate = false): Promise<CartRecord | undefined> {
  let query = db.selectFrom("carts").selectAll().where("cart_id", "=", cartId);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  const lines = await db
    .selectFrom("cart_lines")
    .select(["line_number", "sku", "warehouse_code", "quantity"])
    .where("cart_id", "=", cartId)
    .orderBy("line_number")
    .execute();
  return {
    cartId: row.cart_id,
    customerId: row.customer_id,
    status: row.status,
    currency: row.currency,
    nextLineNumber: row.next_line_number,
    shippingDestination: row.shipping_destination,
    paymentMethod: row.payment_method,
    paymentToken: row.payment_token,
    stockHoldMode: row.stock_hold_mode,
    holdReservationId: row.hold_reservation_id,
    holdExpiresAt: row.hold_expires_at,
    latestOrderId: row.latest_order_id,
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lines: lines.map((l) => ({
      lineNumber: l.line_number,
      sku: l.sku,
      warehouseCode: l.warehouse_code,
      quantity: l.quantity,
    })),
  };
}

// Replaces the cart's lines with `lines` (the domain computed them) and bumps the version.
export async function replaceCartLines(
  db: Db,
  cartId: string,
  lines: readonly CartLine[],
  nextLineNumber: number,
): Promise<void> {
  await db.deleteFrom("cart_lines").where("cart_id", "=", cartId).execute();
  if (lines.length > 0) {
    await db
      .insertInto("cart_lines")
      .values(
        lines.map((l) => ({
          cart_id: cartId,
          line_number: l.lineNumber,
          sku: l.sku,
          warehouse_code: l.warehouseCode,
          quantity: l.quantity,
        })),
      )
      .execute();
  }
  await db
    .updateTable("carts")
    .set({
      next_line_number: nextLineNumber,
      version: sql<string>`version + 1`,
      updated_at: new Date(),
      last_activity_at: new Date(),
    })
    .where("cart_id", "=", cartId)
    .execute();
}

export async function setCartShippingDestination(
  db: Db,
  cartId: string,
  destination: Record<string, unknown>,
): Promise<void> {
  await db
    .updateTable("carts")
    .set({
      shipping_destination: JSON.stringify(destination),
      version: sql<string>`version + 1`,
      updated_at: new Date(),
      last_activity_at: new Date(),
    })
    .where("cart_id", "=", cartId)
    .execute();
}

export async function setCartPaymentMethod(
  db: Db,
  cartId: string,
  method: PaymentMethodType,
  token: string,
): Promise<void> {
  await db
    .updateTable("carts")
    .set({
      payment_method: method,
      payment_token: token,
      version: sql<string>`version + 1`,
      updated_at: new Date(),
      last_activity_at: new Date(),
    })
    .where("cart_id", "=", cartId)
    .execute();
}

// The cart status transition, guarded: 0 rows when the cart was not `from` (someone else moved it).
export async function moveCartStatus(
  db: Db,
  cartId: string,
  from: CartStatus,
  to: CartStatus,
  latestOrderId?: string,
): Promise<boolean> {
  const result = await db
    .updateTable("carts")
    .set({
      status: to,
      version: sql<string>`version + 1`,
      updated_at: new Date(),
      ...(latestOrderId ? { latest_order_id: latestOrderId } : {}),
    })
    .where("cart_id", "=", cartId)
    .where("status", "=", from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
