// Reservations, lines and allocations. Status changes are guarded in SQL (WHERE status = expected), on
// top of the row lock the use case holds, so a lost race can never apply twice.
import { internal } from "@stockroom/errors";
import { type RawBuilder, sql } from "kysely";
import type {
  LineStatus,
  ReservationLineView,
  ReservationStatus,
  ReservationView,
} from "../domain/reservation.ts";
import type { Db } from "./stock.repo.ts";

export interface ReservationHeader {
  reservationId: string;
  referenceType: string;
  referenceId: string;
  orderReference: string | null;
  status: ReservationStatus;
  expiresAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface AllocationRow {
  lineNumber: number;
  warehouseCode: string;
  sku: string;
  lotCode: string;
  quantity: number;
}

export interface NewReservation {
  reservationId: string;
  referenceType: string;
  referenceId: string;
  expiresAt: Date;
  now: Date;
  lines: { lineNumber: number; sku: string; quantity: number; status: LineStatus }[];
  allocations: AllocationRow[];
}

// The statements inserting new reservations, to run inside writeStockChanges' single statement (the
// stock they hold is written in the same round trip, under the level locks).
export function insertReservationStatements(reservations: NewReservation[]): RawBuilder<unknown>[] {
  const lines = reservations.flatMap((r) =>
    r.lines.map((line) => ({ ...line, reservationId: r.reservationId })),
  );
  const allocations = reservations.flatMap((r) =>
    r.allocations.map((a) => ({ ...a, reservationId: r.reservationId })),
  );
  return [
    sql`INSERT INTO reservations (reservation_id, reference_type, reference_id, status, expires_at, created_at, updated_at)
      SELECT r.id, r.reference_type, r.reference_id, 'active', r.expires_at, r.now, r.now
      FROM unnest(${reservations.map((r) => r.reservationId)}::uuid[], ${reservations.map((r) => r.referenceType)}::text[],
        ${reservations.map((r) => r.referenceId)}::text[], ${reservations.map((r) => r.expiresAt)}::timestamptz[],
        ${reservations.map((r) => r.now)}::timestamptz[]) AS r(id, reference_type, reference_id, expires_at, now)`,
    sql`INSERT INTO reservation_lines (reservation_id, line_number, sku, quantity, status)
      SELECT * FROM unnest(${lines.map((l) => l.reservationId)}::uuid[], ${lines.map((l) => l.lineNumber)}::int[],
        ${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.quantity)}::int[], ${lines.map((l) => l.status)}::text[])`,
    sql`INSERT INTO reservation_allocations (reservation_id, line_number, warehouse_code, sku, lot_code, quantity)
      SELECT * FROM unnest(${allocations.map((a) => a.reservationId)}::uuid[], ${allocations.map((a) => a.lineNumber)}::int[],
        ${allocations.map((a) => a.warehouseCode)}::text[], ${allocations.map((a) => a.sku)}::text[],
        ${allocations.map((a) => a.lotCode)}::text[], ${allocations.map((a) => a.quantity)}::int[])`,
  ];
}

interface RawHeader {
  reservation_id: string;
  reference_type: string;
  reference_id: string;
  order_reference: string | null;
  status: ReservationStatus;
  expires_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function toHeader(row: RawHeader): ReservationHeader {
  return {
    reservationId: row.reservation_id,
    referenceType: row.reference_type,
    referenceId: row.reference_id,
    orderReference: row.order_reference,
    status: row.status,
    expiresAt: row.expires_at,
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function lockReservation(db: Db, reservationId: string): Promise<ReservationHeader | undefined> {
  const { rows } = await sql<RawHeader>`
    SELECT * FROM reservations WHERE reservation_id = ${reservationId} FOR UPDATE`.execute(db);
  return rows[0] && toHeader(rows[0]);
}

export async function findReservationHeader(
  db: Db,
  reservationId: string,
): Promise<ReservationHeader | undefined> {
  const { rows } =
    await sql<RawHeader>`SELECT * FROM reservations WHERE reservation_id = ${reservationId}`.execute(db);
  return rows[0] && toHeader(rows[0]);
}

export interface ReservationLookup {
  reference?: { type: string; id: string } | undefined;
  status?: ReservationStatus | undefined;
}

// One page of reservations, newest first (reservation ids are uuid v7), after the id the previous page
// ended on: (reference_type, reference_id, reservation_id) or (status, reservation_id) answers it in
// index order.
export async function findReservationPage(
  db: Db,
  lookup: ReservationLookup,
  page: { beforeId: string | undefined; limit: number },
): Promise<ReservationHeader[]> {
  const { rows } = await sql<RawHeader>`
    SELECT * FROM reservations
    WHERE true
      ${lookup.reference ? sql`AND reference_type = ${lookup.reference.type} AND reference_id = ${lookup.reference.id}` : sql``}
      ${lookup.status ? sql`AND status = ${lookup.status}` : sql``}
      ${page.beforeId ? sql`AND reservation_id < ${page.beforeId}::uuid` : sql``}
    ORDER BY reservation_id DESC
    LIMIT ${page.limit}`.execute(db);
  return rows.map(toHeader);
}

// Active reservations past their expiry, locked; rows another sweeper holds are skipped.
export async function lockExpiredReservations(
  db: Db,
  now: Date,
  limit: number,
): Promise<ReservationHeader[]> {
  const { rows } = await sql<RawHeader>`
    SELECT * FROM reservations
    WHERE status = 'active' AND expires_at <= ${now}
    ORDER BY expires_at
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`.execute(db);
  return rows.map(toHeader);
}

// When the oldest active reservation was made; undefined when none is active.
export async function findOldestActiveCreatedAt(db: Db): Promise<Date | undefined> {
  const row = await db
    .selectFrom("reservations")
    .select((eb) => eb.fn.min("created_at").as("oldest"))
    .where("status", "=", "active")
    .executeTakeFirst();
  return row?.oldest ? new Date(row.oldest as Date) : undefined;
}

// Active reservations past their expiry (the sweeper's backlog).
export async function countOverdueReservations(db: Db, now: Date): Promise<number> {
  const row = await db
    .selectFrom("reservations")
    .select((eb) => eb.fn.countAll<string>().as("overdue"))
    .where("status", "=", "active")
    .where("expires_at", "<=", now)
    .executeTakeFirst();
  return Number(row?.overdue ?? 0);
}

// The levels the allocations of these reservations draw on (to lock them all at once, in order).
export async function findAllocatedLevels(
  db: Db,
  reservationIds: string[],
): Promise<{ warehouseCode: string; sku: string }[]> {
  if (reservationIds.length === 0) return [];
  const rows = await db
    .selectFrom("reservation_allocations")
    .select(["warehouse_code", "sku"])
    .distinct()
    .where("reservation_id", "in", reservationIds)
    .execute();
  return rows.map((row) => ({ warehouseCode: row.warehouse_code, sku: row.sku }));
}

export async function findLines(
  db: Db,
  reservationId: string,
): Promise<{ lines: Omit<ReservationLineView, "allocations">[]; allocations: AllocationRow[] }> {
  const [lines, allocations] = await Promise.all([
    db
      .selectFrom("reservation_lines")
      .select(["line_number", "sku", "quantity", "status"])
      .where("reservation_id", "=", reservationId)
      .orderBy("line_number")
      .execute(),
    db
      .selectFrom("reservation_allocations")
      .select(["line_number", "warehouse_code", "sku", "lot_code", "quantity"])
      .where("reservation_id", "=", reservationId)
      .orderBy("line_number")
      .orderBy("warehouse_code")
      .orderBy("lot_code")
      .execute(),
  ]);
  return {
    lines: lines.map((l) => ({
      lineNumber: l.line_number,
      sku: l.sku,
      quantity: l.quantity,
      status: l.status as LineStatus,
    })),
    allocations: allocations.map((a) => ({
      lineNumber: a.line_number,
      warehouseCode: a.warehouse_code,
      sku: a.sku,
      lotCode: a.lot_code,
      quantity: a.quantity,
    })),
  };
}

// findLines for a page of reservations in two queries, by reservation id.
export async function findLinesOfReservations(
  db: Db,
  reservationIds: string[],
): Promise<Map<string, { lines: Omit<ReservationLineView, "allocations">[]; allocations: AllocationRow[] }>> {
  const byId = new Map(reservationIds.map((id) => [id, { lines: [], allocations: [] } as LinesOf]));
  if (reservationIds.length === 0) return byId;
  const [lines, allocations] = await Promise.all([
    db
      .selectFrom("reservation_lines")
      .select(["reservation_id", "line_number", "sku", "quantity", "status"])
      .where("reservation_id", "in", reservationIds)
      .orderBy("reservation_id")
      .orderBy("line_number")
      .execute(),
    db
      .selectFrom("reservation_allocations")
      .select(["reservation_id", "line_number", "warehouse_code", "sku", "lot_code", "quantity"])
      .where("reservation_id", "in", reservationIds)
      .orderBy("reservation_id")
      .orderBy("line_number")
      .orderBy("warehouse_code")
      .orderBy("lot_code")
      .execute(),
  ]);
  for (const l of lines) {
    byId.get(l.reservation_id)?.lines.push({
      lineNumber: l.line_number,
      sku: l.sku,
      quantity: l.quantity,
      status: l.status as LineStatus,
    });
  }
  for (const a of allocations) {
    byId.get(a.reservation_id)?.allocations.push({
      lineNumber: a.line_number,
      warehouseCode: a.warehouse_code,
      sku: a.sku,
      lotCode: a.lot_code,
      quantity: a.quantity,
    });
  }
  return byId;
}

type LinesOf = { lines: Omit<ReservationLineView, "allocations">[]; allocations: AllocationRow[] };

export async function updateReservationState(
  db: Db,
  change: {
    reservationId: string;
    expectedStatus: ReservationStatus;
    status: ReservationStatus;
    expiresAt: Date | null;
    orderReference?: string | null;
    now: Date;
  },
): Promise<ReservationHeader> {
  const { rows } = await sql<RawHeader>`
    UPDATE reservations SET status = ${change.status}, expires_at = ${change.expiresAt},
      order_reference = coalesce(${change.orderReference ?? null}, order_reference),
      version = version + 1, updated_at = ${change.now}
    WHERE reservation_id = ${change.reservationId} AND status = ${change.expectedStatus}
    RETURNING *`.execute(db);
  const row = rows[0];
  if (!row)
    throw internal(`reservation ${change.reservationId} left status ${change.expectedStatus} under its lock`);
  return toHeader(row);
}

export async function updateLineStatuses(
  db: Db,
  reservationId: string,
  lineNumbers: number[],
  from: LineStatus,
  to: LineStatus,
): Promise<void> {
  await db
    .updateTable("reservation_lines")
    .set({ status: to })
    .where("reservation_id", "=", reservationId)
    .where("line_number", "in", lineNumbers)
    .where("status", "=", from)
    .execute();
}

export function toReservationView(
  header: ReservationHeader,
  lines: Omit<ReservationLineView, "allocations">[],
  allocations: AllocationRow[],
): ReservationView {
  return {
    reservationId: header.reservationId,
    referenceType: header.referenceType,
    referenceId: header.referenceId,
    orderReference: header.orderReference,
    status: header.status,
    expiresAt: header.expiresAt?.toISOString() ?? null,
    createdAt: header.createdAt.toISOString(),
    updatedAt: header.updatedAt.toISOString(),
    version: header.version,
    lines: lines.map((line) => ({
      ...line,
      allocations: allocations
        .filter((a) => a.lineNumber === line.lineNumber)
        .map((a) => ({ warehouseCode: a.warehouseCode, lotCode: a.lotCode, quantity: a.quantity })),
    })),
  };
}
