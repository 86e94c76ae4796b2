// The verified-purchase projection: order lines the order service reported delivered (and returned).
import { sql } from "kysely";
import type { PurchasedLine } from "../domain/purchase.ts";
import type { Db } from "./review.repo.ts";

interface LineRow {
  order_id: string;
  line_number: number;
  customer_id: string;
  sku: string;
  delivered_quantity: number;
  returned_quantity: number;
  delivered_at: Date | null;
}

function lineFromRow(row: LineRow): PurchasedLine {
  return {
    orderId: row.order_id,
    lineNumber: row.line_number,
    customerId: row.customer_id,
    sku: row.sku,
    deliveredQuantity: row.delivered_quantity,
    returnedQuantity: row.returned_quantity,
    deliveredAt: row.delivered_at,
  };
}

// Writes the line as the order's snapshot at orderVersion has it, unless the row already holds that
// version or a newer one (then nothing changes and undefined comes back). Delivered and returned units
// only ever grow, and the delivery time, once known, stays.
export async function upsertLineIfNewer(
  db: Db,
  line: PurchasedLine,
  orderVersion: number,
  now: Date,
): Promise<PurchasedLine | undefined> {
  const { rows } = await sql<LineRow>`
    INSERT INTO verified_purchases AS v (order_id, line_number, customer_id, sku, delivered_quantity,
      returned_quantity, delivered_at, order_version, updated_at)
    VALUES (${line.orderId}, ${line.lineNumber}, ${line.customerId}, ${line.sku}, ${line.deliveredQuantity},
      ${line.returnedQuantity}, ${line.deliveredAt}, ${orderVersion}, ${now})
    ON CONFLICT (order_id, line_number) DO UPDATE SET
      delivered_quantity = greatest(v.delivered_quantity, EXCLUDED.delivered_quantity),
      returned_quantity = greatest(v.returned_quantity, EXCLUDED.returned_quantity),
      delivered_at = coalesce(v.delivered_at, EXCLUDED.delivered_at),
      order_version = EXCLUDED.order_version,
      updated_at = EXCLUDED.updated_at
    WHERE v.order_version < EXCLUDED.order_version
    RETURNING order_id, line_number, customer_id, sku, delivered_quantity, returned_quantity, delivered_at`.execute(
    db,
  );
  return rows[0] && lineFromRow(rows[0]);
}

// The customer's delivered, not fully returned lines of a sku (optionally of one order) that no live
// review of theirs rests on yet, earliest delivery first.
export async function findUnreviewedProofs(
  db: Db,
  query: { customerId: string; sku: string; orderId?: string | undefined },
): Promise<PurchasedLine[]> {
  let select = db
    .selectFrom("verified_purchases as v")
    .selectAll("v")
    .where("v.customer_id", "=", query.customerId)
    .where("v.sku", "=", query.sku)
    .where("v.delivered_quantity", ">", 0)
    .whereRef("v.returned_quantity", "<", "v.delivered_quantity")
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("reviews as r")
            .select("r.review_id")
            .whereRef("r.order_id", "=", "v.order_id")
            .whereRef("r.line_number", "=", "v.line_number")
            .whereRef("r.customer_id", "=", "v.customer_id")
            .where("r.status", "<>", "deleted"),
        ),
      ),
    );
  if (query.orderId) select = select.where("v.order_id", "=", query.orderId);
  const rows = await select
    .orderBy("v.delivered_at")
    .orderBy("v.order_id")
    .orderBy("v.line_number")
    .execute();
  return rows.map(lineFromRow);
}

export async function findLine(
  db: Db,
  orderId: string,
  lineNumber: number,
): Promise<PurchasedLine | undefined> {
  const row = await db
    .selectFrom("verified_purchases")
    .selectAll()
    .where("order_id", "=", orderId)
    .where("line_number", "=", lineNumber)
    .executeTakeFirst();
  return row && lineFromRow(row);
}
