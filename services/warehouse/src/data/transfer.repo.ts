// Transfers between warehouses: the header (locked for every status change) and its lines, and the lot
// parts a dispatch took at the source, read back from the ledger so receipt keeps lots and expiry.
import { sql } from "kysely";
import type { Db } from "./stock.repo.ts";

export type TransferStatus = "requested" | "in_transit" | "received";

export interface TransferRecord {
  transferId: string;
  fromWarehouseCode: string;
  toWarehouseCode: string;
  status: TransferStatus;
  lines: { sku: string; quantity: number }[];
  createdAt: Date;
  updatedAt: Date;
}

export async function insertTransfer(
  db: Db,
  transfer: Omit<TransferRecord, "createdAt" | "updatedAt">,
  now: Date,
) {
  await db
    .insertInto("transfers")
    .values({
      transfer_id: transfer.transferId,
      from_warehouse_code: transfer.fromWarehouseCode,
      to_warehouse_code: transfer.toWarehouseCode,
      status: transfer.status,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await db
    .insertInto("transfer_lines")
    .values(
      transfer.lines.map((line) => ({
        transfer_id: transfer.transferId,
        sku: line.sku,
        quantity: line.quantity,
      })),
    )
    .execute();
}

// Locks the transfer row so dispatch and receipt of one transfer serialize.
export async function lockTransfer(db: Db, transferId: string): Promise<TransferRecord | undefined> {
  const header = await db
    .selectFrom("transfers")
    .selectAll()
    .where("transfer_id", "=", transferId)
    .forUpdate()
    .executeTakeFirst();
  if (!header) return undefined;
  const lines = await db
    .selectFrom("transfer_lines")
    .select(["sku", "quantity"])
    .where("transfer_id", "=", transferId)
    .orderBy("sku")
    .execute();
  return {
    transferId: header.transfer_id,
    fromWarehouseCode: header.from_warehouse_code,
    toWarehouseCode: header.to_warehouse_code,
    status: header.status as TransferStatus,
    lines: lines.map((l) => ({ sku: l.sku, quantity: Number(l.quantity) })),
    createdAt: header.created_at,
    updatedAt: header.updated_at,
  };
}

export async function setTransferStatus(
  db: Db,
  transferId: string,
  status: TransferStatus,
  now: Date,
): Promise<void> {
  await db
    .updateTable("transfers")
    .set({ status, updated_at: now })
    .where("transfer_id", "=", transferId)
    .execute();
}

export interface DispatchedLotPart {
  sku: string;
  lotCode: string;
  expiresOn: string | null;
  quantity: number;
}

export async function findDispatchedLotParts(db: Db, transfer: TransferRecord): Promise<DispatchedLotPart[]> {
  const { rows } = await sql<{ sku: string; lot_code: string; expires_on: string | null; quantity: string }>`
    SELECT m.sku, coalesce(m.lot_code, '') AS lot_code, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on,
      sum(-m.on_hand_delta) AS quantity
    FROM stock_movements m
    LEFT JOIN stock_lots l
      ON l.warehouse_code = m.warehouse_code AND l.sku = m.sku AND l.lot_code = coalesce(m.lot_code, '')
    WHERE m.reference_type = 'transfer' AND m.reference_id = ${transfer.transferId}
      AND m.reason = 'transfer_out' AND m.warehouse_code = ${transfer.fromWarehouseCode} AND m.on_hand_delta < 0
    GROUP BY m.sku, coalesce(m.lot_code, ''), l.expires_on
    ORDER BY m.sku, 2`.execute(db);
  return rows.map((r) => ({
    sku: r.sku,
    lotCode: r.lot_code,
    expiresOn: r.expires_on,
    quantity: Number(r.quantity),
  }));
}
