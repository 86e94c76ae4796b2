// Pick lists and their lines: named queries; each line's change is guarded by its status.
import { type Kysely, sql, type Transaction } from "@stockroom/db";
import type { PickLineStatus, PickListStatus } from "../domain/pick-list.ts";
import type { PlannedPickLine } from "../domain/wave-plan.ts";
import type { FulfillmentDatabase } from "./database.ts";

type Db = Kysely<FulfillmentDatabase> | Transaction<FulfillmentDatabase>;

export interface PickLineRow {
  lineNumber: number;
  fulfillmentId: string;
  orderLineNumber: number;
  sku: string;
  lotCode: string;
  binCode: string;
  zone: string;
  aisle: string;
  position: string;
  pickSequence: number;
  quantity: number;
  picked: number;
  short: number;
  status: PickLineStatus;
}

export interface PickListRow {
  pickListId: string;
  warehouseCode: string;
  status: PickListStatus;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  lines: PickLineRow[];
}

export async function insertPickList(
  trx: Transaction<FulfillmentDatabase>,
  list: { pickListId: string; warehouseCode: string; createdBy: string; lines: readonly PlannedPickLine[] },
  now: Date,
): Promise<void> {
  await trx
    .insertInto("pick_lists")
    .values({
      pick_list_id: list.pickListId,
      warehouse_code: list.warehouseCode,
      created_by: list.createdBy.slice(0, 200),
      created_at: now,
      updated_at: now,
    })
    .execute();
  await trx
    .insertInto("pick_list_lines")
    .values(
      list.lines.map((l) => ({
        pick_list_id: list.pickListId,
        line_number: l.lineNumber,
        fulfillment_id: l.fulfillmentId,
        order_line_number: l.orderLineNumber,
        sku: l.sku,
        lot_code: l.lotCode,
        bin_code: l.binCode,
        zone: l.zone,
        aisle: l.aisle,
        position: l.position,
        pick_sequence: l.pickSequence,
        quantity: l.quantity,
        updated_at: now,
      })),
    )
    .execute();
}

// The list and its lines in route order; `lock` takes the list row FOR UPDATE, so scans of one list
// apply one after the other (the list's status and version follow its lines).
export async function findPickList(
  db: Db,
  pickListId: string,
  lock = false,
): Promise<PickListRow | undefined> {
  let query = db.selectFrom("pick_lists").selectAll().where("pick_list_id", "=", pickListId);
  if (lock) query = query.forUpdate();
  const list = await query.executeTakeFirst();
  if (!list) return undefined;
  const lines = await db
    .selectFrom("pick_list_lines")
    .selectAll()
    .where("pick_list_id", "=", pickListId)
    .orderBy("line_number")
    .execute();
  return {
    pickListId: list.pick_list_id,
    warehouseCode: list.warehouse_code,
    status: list.status,
    version: Number(list.version),
    createdAt: list.created_at,
    updatedAt: list.updated_at,
    lines: lines.map((l) => ({
      lineNumber: l.line_number,
      fulfillmentId: l.fulfillment_id,
      orderLineNumber: l.order_line_number,
      sku: l.sku,
      lotCode: l.lot_code,
      binCode: l.bin_code,
      zone: l.zone,
      aisle: l.aisle,
      position: l.position,
      pickSequence: l.pick_sequence,
      quantity: l.quantity,
      picked: l.picked,
      short: l.short_quantity,
      status: l.status,
    })),
  };
}

// A scan's units on its line, guarded by what the line held when it was read: false when another scan
// changed it first.
export async function recordPickLineUnits(
  trx: Transaction<FulfillmentDatabase>,
  pickListId: string,
  lineNumber: number,
  before: { picked: number; short: number },
  after: { picked: number; short: number; status: PickLineStatus },
  now: Date,
): Promise<boolean> {
  const row = await trx
    .updateTable("pick_list_lines")
    .set({ picked: after.picked, short_quantity: after.short, status: after.status, updated_at: now })
    .where("pick_list_id", "=", pickListId)
    .where("line_number", "=", lineNumber)
    .where("status", "=", "pending")
    .where("picked", "=", before.picked)
    .where("short_quantity", "=", before.short)
    .returning("line_number")
    .executeTakeFirst();
  return row !== undefined;
}

export async function setPickListStatus(
  trx: Transaction<FulfillmentDatabase>,
  pickListId: string,
  status: PickListStatus,
  now: Date,
): Promise<void> {
  await trx
    .updateTable("pick_lists")
    .set({
      status,
      version: sql<string>`version + 1`,
      updated_at: now,
      ...(status === "completed" && { completed_at: now }),
    })
    .where("pick_list_id", "=", pickListId)
    .where("status", "in", ["open", "in_progress"])
    .execute();
}

// The lot a fulfillment line's picked units came from (the first bin it was picked in).
export async function findPickedLot(
  db: Db,
  fulfillmentId: string,
  orderLineNumber: number,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("pick_list_lines")
    .select("lot_code")
    .where("fulfillment_id", "=", fulfillmentId)
    .where("order_line_number", "=", orderLineNumber)
    .where("picked", ">", 0)
    .orderBy("updated_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.lot_code;
}

// A cancelled fulfillment's lines still pending on a wave are cancelled (the picker skips them).
export async function cancelPendingPickLines(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  now: Date,
): Promise<number> {
  const rows = await trx
    .updateTable("pick_list_lines")
    .set({ status: "cancelled", updated_at: now })
    .where("fulfillment_id", "=", fulfillmentId)
    .where("status", "=", "pending")
    .where("short_quantity", "=", 0)
    .returning("line_number")
    .execute();
  return rows.length;
}

// Lists the cancel left with no pending line are completed (their remaining lines were cancelled).
export async function completeListsWithoutPendingLines(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  now: Date,
): Promise<void> {
  await sql`
    UPDATE pick_lists AS p
       SET status = 'completed', completed_at = ${now}, updated_at = ${now}, version = p.version + 1
     WHERE p.status IN ('open', 'in_progress')
       AND p.pick_list_id IN (SELECT pick_list_id FROM pick_list_lines WHERE fulfillment_id = ${fulfillmentId})
       AND NOT EXISTS (SELECT 1 FROM pick_list_lines l WHERE l.pick_list_id = p.pick_list_id AND l.status = 'pending')`.execute(
    trx,
  );
}
