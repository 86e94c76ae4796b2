// Stock levels and lots: locking reads, and the one statement that writes a set of stock changes
// (levels, lots, ledger rows, outbox rows) so row locks are held for as few round trips as possible.
import { type Executor, prepared } from "@stockroom/db";
import { aborted } from "@stockroom/errors";
import { appendToOutboxStatement, type OutboxRow } from "@stockroom/outbox";
import { type RawBuilder, sql } from "kysely";
import type { LotState } from "../domain/lot-allocation.ts";
import type { MovementReason } from "../domain/movement-reason.ts";
import type { BucketDeltas, Buckets, StockLevelKey, StockLevelState } from "../domain/stock-level.ts";
import { levelKey } from "../domain/stock-level.ts";
import type { WarehouseDatabase } from "./database.ts";

export type Db = Executor<WarehouseDatabase>;

export interface StockLevelRow extends StockLevelState {
  updatedAt: Date;
}

const levelColumns = sql`s.warehouse_code, s.sku, s.on_hand, s.reserved, s.committed, s.safety_stock, s.damaged,
  s.quality_control, s.incoming, s.low_stock_threshold, s.low_stock_alerted, s.version, s.updated_at`;

export interface RawLevel {
  warehouse_code: string;
  sku: string;
  on_hand: number;
  reserved: number;
  committed: number;
  safety_stock: number;
  damaged: number;
  quality_control: number;
  incoming: number;
  low_stock_threshold: number;
  low_stock_alerted: boolean;
  version: number;
  updated_at: Date;
}

export function toLevel(row: RawLevel): StockLevelRow {
  return {
    warehouseCode: row.warehouse_code,
    sku: row.sku,
    onHand: Number(row.on_hand),
    reserved: Number(row.reserved),
    committed: Number(row.committed),
    safetyStock: Number(row.safety_stock),
    damaged: Number(row.damaged),
    qualityControl: Number(row.quality_control),
    incoming: Number(row.incoming),
    lowStockThreshold: Number(row.low_stock_threshold),
    lowStockAlerted: row.low_stock_alerted,
    version: Number(row.version),
    updatedAt: row.updated_at,
  };
}

function byKey(levels: StockLevelRow[]): Map<string, StockLevelRow> {
  return new Map(levels.map((level) => [levelKey(level), level]));
}

export async function findStockLevels(
  db: Db,
  skus: string[],
  warehouseCode?: string,
): Promise<StockLevelRow[]> {
  const { rows } = await sql<RawLevel>`
    SELECT ${levelColumns} FROM stock_levels s
    WHERE s.sku = ANY(${skus}::text[]) AND (${warehouseCode ?? null}::text IS NULL OR s.warehouse_code = ${warehouseCode ?? null})
    ORDER BY s.sku, s.warehouse_code`.execute(db);
  return rows.map(toLevel);
}

// Locks the named levels, always in (warehouse, sku) order so two transactions cannot deadlock.
export async function lockStockLevels(db: Db, keys: StockLevelKey[]): Promise<Map<string, StockLevelRow>> {
  if (keys.length === 0) return new Map();
  const { rows } = await sql<RawLevel>`
    SELECT ${levelColumns} FROM stock_levels s
    WHERE s.warehouse_code = ANY(${[...new Set(keys.map((k) => k.warehouseCode))]}::text[])
      AND s.sku = ANY(${[...new Set(keys.map((k) => k.sku))]}::text[])
      AND (s.warehouse_code, s.sku) IN (
        SELECT * FROM unnest(${keys.map((k) => k.warehouseCode)}::text[], ${keys.map((k) => k.sku)}::text[]))
    ORDER BY s.warehouse_code, s.sku
    FOR UPDATE OF s`.execute(db);
  return byKey(rows.map(toLevel));
}

// Creates missing levels (zero buckets) so receipts and returns can lock them.
export async function ensureStockLevels(db: Db, keys: StockLevelKey[]): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    INSERT INTO stock_levels (warehouse_code, sku)
    SELECT * FROM unnest(${keys.map((k) => k.warehouseCode)}::text[], ${keys.map((k) => k.sku)}::text[])
    ON CONFLICT DO NOTHING`.execute(db);
}

export interface LotRow extends LotState {
  warehouseCode: string;
  sku: string;
}

// Lots are read after their levels are locked: every lot change happens under its level's lock, so
// this read is current without locking the lots themselves.
export async function findLots(db: Db, keys: StockLevelKey[]): Promise<Map<string, LotRow[]>> {
  const lots = new Map<string, LotRow[]>();
  if (keys.length === 0) return lots;
  const { rows } = await sql<{
    warehouse_code: string;
    sku: string;
    lot_code: string;
    expires_on: string | null;
    on_hand: number;
    allocated: number;
  }>`
    SELECT l.warehouse_code, l.sku, l.lot_code, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, l.on_hand, l.allocated
    FROM stock_lots l
    WHERE l.warehouse_code = ANY(${[...new Set(keys.map((k) => k.warehouseCode))]}::text[])
      AND l.sku = ANY(${[...new Set(keys.map((k) => k.sku))]}::text[])
      AND (l.warehouse_code, l.sku) IN (
        SELECT * FROM unnest(${keys.map((k) => k.warehouseCode)}::text[], ${keys.map((k) => k.sku)}::text[]))`.execute(
    db,
  );
  for (const row of rows) {
    const key = levelKey({ warehouseCode: row.warehouse_code, sku: row.sku });
    const list = lots.get(key) ?? [];
    list.push({
      warehouseCode: row.warehouse_code,
      sku: row.sku,
      lotCode: row.lot_code,
      expiresOn: row.expires_on,
      onHand: Number(row.on_hand),
      allocated: Number(row.allocated),
    });
    lots.set(key, list);
  }
  return lots;
}

export interface LevelWrite {
  before: StockLevelState;
  after: Buckets;
  lowStockAlerted: boolean;
  // How many versions the write moves the level on (one per change it carries as its own version, as a
  // bulk import's rows do); absent: 1.
  versionStep?: number;
}

// One ledger row: a change to one level, with the balances it left.
export interface MovementWrite extends StockLevelKey {
  lotCode: string | null;
  reason: MovementReason;
  deltas: BucketDeltas;
  after: Buckets;
  levelVersion: number;
  // Set when one write carries several requests' movements (batched reservations); otherwise the
  // write's MovementContext applies.
  origin?: MovementContext | undefined;
}

export interface LotWrite extends StockLevelKey {
  lotCode: string;
  // Used when the lot does not exist yet (receipts); ignored otherwise.
  expiresOn: string | null;
  onHandDelta: number;
  allocatedDelta: number;
}

export interface MovementContext {
  actor: string;
  referenceType: string;
  referenceId: string;
  // Free text an operator gave with the change (AdjustStock's note); absent or null: none.
  note?: string | null | undefined;
}

export interface StockWriteSet {
  levels: LevelWrite[];
  movements: MovementWrite[];
  lots: LotWrite[];
  outbox: OutboxRow[];
  // Physical unit changes per warehouse (on_hand + damaged + quality_control), for capacity.
  storedUnitDeltas: Map<string, number>;
}

// Writes levels (guarded by version, although callers hold the row locks), lots (upserted by delta),
// ledger rows, warehouse fill and outbox rows in one statement, plus `alongside`: other plain
// INSERT/UPDATE statements of the same use case (e.g. the reservation rows), so row locks are held
// for one round trip instead of several. Each part of the statement is built by a function below.
export async function writeStockChanges(
  db: Db,
  context: MovementContext,
  set: StockWriteSet,
  alongside: RawBuilder<unknown>[] = [],
): Promise<void> {
  if (set.levels.length === 0 && set.lots.length === 0 && set.outbox.length === 0 && alongside.length === 0)
    return;
  const { rows } = await prepared(sql<{ levels_written: string }>`
    WITH ${alongsideParts(alongside)} v AS (${levelValues(set.levels)}),
    ${lotParts(mergeLotWrites(set.lots))},
    level_changes AS (${LEVEL_CHANGES}),
    movements AS (${movementInserts(context, set.movements)}),
    stored_units AS (${storedUnitUpdates(set.storedUnitDeltas)}),
    events AS (${appendToOutboxStatement(set.outbox)}
      RETURNING 1)
    SELECT (SELECT count(*) FROM level_changes) AS levels_written,
           (SELECT count(*) FROM lot_updates) + (SELECT count(*) FROM lot_inserts) AS lots_written,
           (SELECT count(*) FROM movements) AS movements_written,
           (SELECT count(*) FROM stored_units) AS warehouses_written,
           (SELECT count(*) FROM events) AS events_written`).execute(db);
  const written = Number(rows[0]?.levels_written ?? 0);
  if (written !== set.levels.length) {
    // Only possible if a caller wrote a level it had not locked: refuse rather than lose an update.
    throw aborted(`stock write lost a race: ${written} of ${set.levels.length} levels matched their version`);
  }
}

// The caller's own statements, each a CTE of its own ahead of the stock writes.
function alongsideParts(alongside: RawBuilder<unknown>[]): RawBuilder<unknown> {
  return sql`${sql.join(
    alongside.map((statement, i) => sql`${sql.ref(`alongside_${i}`)} AS (${statement})`),
    sql`, `,
  )}${alongside.length > 0 ? sql`, ` : sql``}`;
}

// The levels' new balances, one row per level, with the version each write expects to find.
function levelValues(levels: LevelWrite[]): RawBuilder<unknown> {
  const after = (bucket: keyof Buckets) => levels.map((w) => w.after[bucket]);
  return sql`
      SELECT * FROM unnest(
        ${levels.map((w) => w.before.warehouseCode)}::text[], ${levels.map((w) => w.before.sku)}::text[],
        ${levels.map((w) => w.before.version)}::bigint[], ${levels.map((w) => w.versionStep ?? 1)}::bigint[],
        ${levels.map((w) => w.lowStockAlerted)}::boolean[],
        ${after("onHand")}::bigint[], ${after("reserved")}::bigint[], ${after("committed")}::bigint[],
        ${after("safetyStock")}::bigint[], ${after("damaged")}::bigint[], ${after("qualityControl")}::bigint[],
        ${after("incoming")}::bigint[]
      ) AS v(warehouse_code, sku, version, version_step, low_stock_alerted, on_hand, reserved, committed, safety_stock, damaged,
             quality_control, incoming)`;
}

// Writes the levels of `v` whose version is still the one the write expects.
const LEVEL_CHANGES = sql`
      UPDATE stock_levels s SET
        on_hand = v.on_hand, reserved = v.reserved, committed = v.committed, safety_stock = v.safety_stock,
        damaged = v.damaged, quality_control = v.quality_control, incoming = v.incoming,
        low_stock_alerted = v.low_stock_alerted, version = v.version + v.version_step, updated_at = now()
      FROM v
      WHERE s.warehouse_code = v.warehouse_code AND s.sku = v.sku AND s.version = v.version
      RETURNING 1`;

// Three CTEs: the lots' deltas, the update of the lots that exist, the insert of the others.
function lotParts(lots: LotWrite[]): RawBuilder<unknown> {
  return sql`lot_deltas AS (
      SELECT * FROM unnest(
        ${lots.map((l) => l.warehouseCode)}::text[], ${lots.map((l) => l.sku)}::text[],
        ${lots.map((l) => l.lotCode)}::text[], ${lots.map((l) => l.expiresOn)}::date[],
        ${lots.map((l) => l.onHandDelta)}::bigint[], ${lots.map((l) => l.allocatedDelta)}::bigint[])
        AS d(warehouse_code, sku, lot_code, expires_on, on_hand, allocated)
    ),
    -- Not INSERT ... ON CONFLICT DO UPDATE: Postgres checks the proposed row's CHECK constraints before
    -- it finds the conflict, so a delta row (allocated 2, on_hand 0; or a negative delta) would be
    -- refused even though only the sum is stored. Existing lots are updated, new ones inserted; the
    -- level locks the caller holds keep a concurrent insert of the same lot out.
    lot_updates AS (
      UPDATE stock_lots l SET on_hand = l.on_hand + d.on_hand, allocated = l.allocated + d.allocated
      FROM lot_deltas d
      WHERE l.warehouse_code = ANY(${[...new Set(lots.map((l) => l.warehouseCode))]}::text[])
        AND l.sku = ANY(${[...new Set(lots.map((l) => l.sku))]}::text[])
        AND l.warehouse_code = d.warehouse_code AND l.sku = d.sku AND l.lot_code = d.lot_code
      RETURNING l.warehouse_code, l.sku, l.lot_code
    ),
    lot_inserts AS (
      INSERT INTO stock_lots (warehouse_code, sku, lot_code, expires_on, on_hand, allocated)
      SELECT d.* FROM lot_deltas d
      WHERE NOT EXISTS (
        SELECT 1 FROM lot_updates u
        WHERE u.warehouse_code = d.warehouse_code AND u.sku = d.sku AND u.lot_code = d.lot_code)
      RETURNING 1
    )`;
}

// The ledger rows; a movement's own origin, when it has one, overrides the write's context.
function movementInserts(context: MovementContext, moves: MovementWrite[]): RawBuilder<unknown> {
  const moveDelta = (bucket: keyof Buckets) => moves.map((m) => m.deltas[bucket] ?? 0);
  const moveAfter = (bucket: keyof Buckets) => moves.map((m) => m.after[bucket]);
  return sql`
      INSERT INTO stock_movements (warehouse_code, sku, lot_code, reason, actor, reference_type, reference_id,
        on_hand_delta, reserved_delta, committed_delta, safety_stock_delta, damaged_delta, quality_control_delta,
        incoming_delta, on_hand_after, reserved_after, committed_after, safety_stock_after, damaged_after,
        quality_control_after, incoming_after, level_version, note)
      SELECT m.warehouse_code, m.sku, m.lot_code, m.reason, coalesce(m.actor, ${context.actor}),
        coalesce(m.reference_type, ${context.referenceType}), coalesce(m.reference_id, ${context.referenceId}),
        m.d_on_hand, m.d_reserved, m.d_committed, m.d_safety_stock, m.d_damaged,
        m.d_quality_control, m.d_incoming, m.on_hand, m.reserved, m.committed, m.safety_stock, m.damaged,
        m.quality_control, m.incoming, m.level_version, coalesce(m.note, ${context.note ?? null}::text)
      FROM unnest(
        ${moves.map((m) => m.warehouseCode)}::text[], ${moves.map((m) => m.sku)}::text[],
        ${moves.map((m) => m.lotCode)}::text[], ${moves.map((m) => m.reason)}::text[],
        ${moveDelta("onHand")}::bigint[], ${moveDelta("reserved")}::bigint[], ${moveDelta("committed")}::bigint[],
        ${moveDelta("safetyStock")}::bigint[], ${moveDelta("damaged")}::bigint[],
        ${moveDelta("qualityControl")}::bigint[], ${moveDelta("incoming")}::bigint[],
        ${moveAfter("onHand")}::bigint[], ${moveAfter("reserved")}::bigint[], ${moveAfter("committed")}::bigint[],
        ${moveAfter("safetyStock")}::bigint[], ${moveAfter("damaged")}::bigint[],
        ${moveAfter("qualityControl")}::bigint[], ${moveAfter("incoming")}::bigint[],
        ${moves.map((m) => m.levelVersion)}::bigint[], ${moves.map((m) => m.origin?.actor ?? null)}::text[],
        ${moves.map((m) => m.origin?.referenceType ?? null)}::text[],
        ${moves.map((m) => m.origin?.referenceId ?? null)}::text[], ${moves.map((m) => m.origin?.note ?? null)}::text[]
      ) AS m(warehouse_code, sku, lot_code, reason, d_on_hand, d_reserved, d_committed, d_safety_stock, d_damaged,
             d_quality_control, d_incoming, on_hand, reserved, committed, safety_stock, damaged, quality_control,
             incoming, level_version, actor, reference_type, reference_id, note)
      RETURNING 1`;
}

// Each warehouse's stored units (for capacity), in code order, like every other lock we take: two
// writers updating two warehouses' rows in opposite orders would deadlock.
function storedUnitUpdates(storedUnitDeltas: Map<string, number>): RawBuilder<unknown> {
  const stored = [...storedUnitDeltas]
    .filter(([, units]) => units !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sql`
      UPDATE warehouses w SET units_stored = w.units_stored + d.units, updated_at = now()
      FROM unnest(${stored.map(([code]) => code)}::text[], ${stored.map(([, units]) => units)}::bigint[]) AS d(code, units)
      WHERE w.code = d.code
      RETURNING 1`;
}

// One row per lot: an upsert may not touch the same row twice in one statement.
function mergeLotWrites(writes: LotWrite[]): LotWrite[] {
  const merged = new Map<string, LotWrite>();
  for (const write of writes) {
    const key = `${levelKey(write)}\u0000${write.lotCode}`;
    const existing = merged.get(key);
    merged.set(
      key,
      existing
        ? {
            ...existing,
            expiresOn: existing.expiresOn ?? write.expiresOn,
            onHandDelta: existing.onHandDelta + write.onHandDelta,
            allocatedDelta: existing.allocatedDelta + write.allocatedDelta,
          }
        : { ...write },
    );
  }
  return [...merged.values()];
}
