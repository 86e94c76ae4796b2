// Shared setup of the warehouse proof tests: a migrated throwaway schema, the use cases over it with a
// clock the test controls, helpers to seed warehouses and stock, and assertInvariants, which reads the
// whole schema back and lists every way the stock model disagrees with itself.
import { fileURLToPath } from "node:url";
import { createDb, createPool, type Kysely, sql, withTransaction } from "@stockroom/db";
import { AppError, type ErrorReason } from "@stockroom/errors";
import { createTestSchema, type TestSchema, uniqueSuffix } from "@stockroom/testkit";
import { expect } from "vitest";
import { createExpireReservations } from "../../src/app/expire-reservations.ts";
import { createGetReservation } from "../../src/app/get-reservation.ts";
import { createReceiveStock } from "../../src/app/receive-stock.ts";
import {
  createCancelReservation,
  createConfirmReservation,
  createExtendReservation,
  createReleaseReservation,
  createShipReservation,
} from "../../src/app/reservation-commands.ts";
import {
  createReserveStock,
  DEFAULT_RESERVE_BATCHING,
  type ReserveBatching,
} from "../../src/app/reserve-stock.ts";
import { createUseCaseDeps, type RequestContext, type UseCaseDeps } from "../../src/app/use-case-deps.ts";
import type { WarehouseDatabase } from "../../src/data/database.ts";
import { DEFAULT_TTL_POLICY } from "../../src/domain/reservation-ttl.ts";

export const MIGRATIONS = fileURLToPath(new URL("../../../../migrations/warehouse", import.meta.url));

export const CONTEXT: RequestContext = {
  producer: "warehouse",
  actor: "proof-test",
  principal: "proof-test",
};

// A clock the test moves by hand; every use case built by the fixture reads it.
export interface TestClock {
  now: Date;
  advance(ms: number): void;
}

export function createTestClock(start = new Date("2026-11-22T10:00:00.000Z")): TestClock {
  return {
    now: start,
    advance(ms) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
}

// `reserveDeps`: what reserve batches run on, like the service's pipelined pool of their own (main.ts).
// Two batches may run at once (the service's default is one): every race here then also covers a batch
// started beside a running one.
const TEST_RESERVE_BATCHING: ReserveBatching = { ...DEFAULT_RESERVE_BATCHING, concurrency: 2 };

export function buildUseCases(deps: UseCaseDeps, reserveDeps: UseCaseDeps = deps) {
  const withTtl = { ...deps, ttlPolicy: DEFAULT_TTL_POLICY };
  return {
    deps,
    reserve: createReserveStock({
      ...reserveDeps,
      ttlPolicy: DEFAULT_TTL_POLICY,
      batching: TEST_RESERVE_BATCHING,
    }),
    release: createReleaseReservation(deps),
    confirm: createConfirmReservation(deps),
    cancel: createCancelReservation(deps),
    ship: createShipReservation(deps),
    extend: createExtendReservation(withTtl),
    expire: createExpireReservations(deps),
    receive: createReceiveStock(deps),
    getReservation: createGetReservation(deps),
  };
}

export type UseCases = ReturnType<typeof buildUseCases>;

export interface WarehouseFixture {
  schema: TestSchema;
  db: Kysely<WarehouseDatabase>;
  clock: TestClock;
  useCases: UseCases;
  // Use cases over the same database with their own clock (e.g. one already past an expiry).
  useCasesAt(clock: () => Date): UseCases;
  drop(): Promise<void>;
}

// Four database test files run in parallel next to other services' tests: 16 connections each keeps
// the total well inside max_connections = 100 while still letting dozens of transactions contend.
export async function createWarehouseFixture(options: { poolMax?: number } = {}): Promise<WarehouseFixture> {
  const schema = await createTestSchema({ migrations: MIGRATIONS, poolMax: options.poolMax ?? 16 });
  const db = createDb<WarehouseDatabase>(schema.pool);
  // Reserve batches run as in the service: on a pool of their own in pipeline mode.
  const reservePool = createPool({
    connectionString: schema.connectionString,
    schema: schema.schema,
    max: 2,
    pipeline: true,
    applicationName: `${schema.schema}-reserve`,
    logger: { info() {}, warn() {}, error() {} },
  });
  const reserveDb = createDb<WarehouseDatabase>(reservePool);
  const clock = createTestClock();
  const useCasesAt = (clockFn: () => Date) =>
    buildUseCases(
      createUseCaseDeps(db, { clock: clockFn }),
      createUseCaseDeps(reserveDb, { clock: clockFn }),
    );
  return {
    schema,
    db,
    clock,
    useCases: useCasesAt(() => clock.now),
    useCasesAt,
    async drop() {
      // Ends the pools and drops the schema.
      await reservePool.end();
      await schema.drop();
    },
  };
}

export async function insertWarehouse(
  db: Kysely<WarehouseDatabase>,
  code: string,
  options: { priority?: number; latitude?: number; longitude?: number; capacityUnits?: number } = {},
): Promise<void> {
  await db
    .insertInto("warehouses")
    .values({
      code,
      name: `Warehouse ${code}`,
      address: "",
      latitude: options.latitude ?? null,
      longitude: options.longitude ?? null,
      capacity_units: options.capacityUnits ?? 10_000_000,
      capacity_policy: "refuse",
      priority: options.priority ?? 100,
    })
    .execute();
}

export function key(prefix = "k"): string {
  return `${prefix}-${uniqueSuffix()}`;
}

export async function receive(
  useCases: UseCases,
  warehouseCode: string,
  lines: { sku: string; quantity: number; lotCode?: string; expiresOn?: string | null }[],
): Promise<void> {
  await useCases.receive(
    {
      idempotencyKey: key("receive"),
      warehouseCode,
      reference: { type: "receipt", id: key("po") },
      lines: lines.map((l) => ({
        sku: l.sku,
        quantity: l.quantity,
        lotCode: l.lotCode ?? "",
        expiresOn: l.expiresOn ?? null,
      })),
    },
    CONTEXT,
  );
}

// Runs fn and returns its error (fails the test if it did not throw).
export async function errorOf(fn: () => Promise<unknown>): Promise<AppError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

export function isFailure(err: unknown, reason?: ErrorReason): boolean {
  return (
    err instanceof AppError &&
    err.kind === "failed_precondition" &&
    (reason === undefined || err.reason === reason)
  );
}

export interface LevelRow {
  warehouse_code: string;
  sku: string;
  on_hand: number;
  reserved: number;
  committed: number;
  safety_stock: number;
  damaged: number;
  quality_control: number;
  incoming: number;
  version: number;
}

export async function levels(db: Kysely<WarehouseDatabase>): Promise<LevelRow[]> {
  const { rows } = await sql<LevelRow>`
    SELECT warehouse_code, sku, on_hand::int, reserved::int, committed::int, safety_stock::int, damaged::int,
      quality_control::int, incoming::int, version::int
    FROM stock_levels ORDER BY warehouse_code, sku`.execute(db);
  return rows;
}

export async function level(
  db: Kysely<WarehouseDatabase>,
  warehouseCode: string,
  sku: string,
): Promise<LevelRow> {
  const row = (await levels(db)).find((l) => l.warehouse_code === warehouseCode && l.sku === sku);
  if (!row) throw new Error(`no level ${warehouseCode}/${sku}`);
  return row;
}

const BUCKET_COLUMNS = [
  "on_hand",
  "reserved",
  "committed",
  "safety_stock",
  "damaged",
  "quality_control",
  "incoming",
] as const;

// Every rule the stock model must keep, checked from the rows alone. Returns the broken ones.
export async function invariantViolations(db: Kysely<WarehouseDatabase>): Promise<string[]> {
  const problems: string[] = [];
  const all = await levels(db);
  const id = (l: { warehouse_code: string; sku: string }) => `${l.warehouse_code}/${l.sku}`;

  for (const l of all) {
    for (const bucket of BUCKET_COLUMNS)
      if (l[bucket] < 0) problems.push(`${id(l)}: ${bucket} = ${l[bucket]} < 0`);
    if (l.reserved + l.committed > l.on_hand) {
      problems.push(`${id(l)}: reserved ${l.reserved} + committed ${l.committed} > on_hand ${l.on_hand}`);
    }
  }

  // Held lines hold reserved units, committed lines committed units, per level.
  const { rows: held } = await sql<{
    warehouse_code: string;
    sku: string;
    reserved: number;
    committed: number;
  }>`
    SELECT a.warehouse_code, a.sku,
      coalesce(sum(a.quantity) FILTER (WHERE l.status = 'held'), 0)::int AS reserved,
      coalesce(sum(a.quantity) FILTER (WHERE l.status = 'committed'), 0)::int AS committed
    FROM reservation_allocations a JOIN reservation_lines l USING (reservation_id, line_number)
    GROUP BY a.warehouse_code, a.sku`.execute(db);
  const heldByLevel = new Map(held.map((h) => [id(h), h]));
  for (const l of all) {
    const h = heldByLevel.get(id(l)) ?? { reserved: 0, committed: 0 };
    if (h.reserved !== l.reserved)
      problems.push(`${id(l)}: held allocations ${h.reserved} != reserved ${l.reserved}`);
    if (h.committed !== l.committed) {
      problems.push(`${id(l)}: committed allocations ${h.committed} != committed ${l.committed}`);
    }
  }

  // Line statuses agree with their reservation's status.
  const { rows: mismatched } = await sql<{ reservation_id: string; status: string; line_status: string }>`
    SELECT r.reservation_id, r.status, l.status AS line_status
    FROM reservations r JOIN reservation_lines l USING (reservation_id)
    WHERE (r.status = 'active' AND l.status <> 'held')
       OR (r.status IN ('released', 'expired', 'cancelled') AND l.status <> 'released')
       OR (r.status = 'confirmed' AND l.status NOT IN ('committed', 'shipped', 'released'))
       OR (r.status = 'shipped' AND l.status NOT IN ('shipped', 'released'))`.execute(db);
  for (const m of mismatched)
    problems.push(`reservation ${m.reservation_id} is ${m.status} with a ${m.line_status} line`);

  // Lots: allocated equals what held and committed lines hold of them; lots add up to their level.
  const { rows: lots } = await sql<{
    warehouse_code: string;
    sku: string;
    lot_code: string;
    on_hand: number;
    allocated: number;
    held: number;
  }>`
    SELECT s.warehouse_code, s.sku, s.lot_code, s.on_hand::int, s.allocated::int,
      coalesce((SELECT sum(a.quantity) FROM reservation_allocations a
                JOIN reservation_lines l USING (reservation_id, line_number)
                WHERE a.warehouse_code = s.warehouse_code AND a.sku = s.sku AND a.lot_code = s.lot_code
                  AND l.status IN ('held', 'committed')), 0)::int AS held
    FROM stock_lots s`.execute(db);
  const lotTotals = new Map<string, { onHand: number; allocated: number }>();
  for (const lot of lots) {
    if (lot.allocated !== lot.held)
      problems.push(`lot ${id(lot)}/${lot.lot_code}: allocated ${lot.allocated} != held ${lot.held}`);
    if (lot.allocated > lot.on_hand) problems.push(`lot ${id(lot)}/${lot.lot_code}: allocated > on_hand`);
    const t = lotTotals.get(id(lot)) ?? { onHand: 0, allocated: 0 };
    lotTotals.set(id(lot), { onHand: t.onHand + lot.on_hand, allocated: t.allocated + lot.allocated });
  }
  for (const l of all) {
    const t = lotTotals.get(id(l)) ?? { onHand: 0, allocated: 0 };
    if (t.allocated !== l.reserved + l.committed) {
      problems.push(
        `${id(l)}: lots allocate ${t.allocated} != reserved + committed ${l.reserved + l.committed}`,
      );
    }
    if (t.onHand !== l.on_hand) problems.push(`${id(l)}: lots hold ${t.onHand} != on_hand ${l.on_hand}`);
  }

  problems.push(...(await ledgerViolations(db, all)));

  // Capacity bookkeeping follows the physical buckets.
  const { rows: stored } = await sql<{ code: string; units_stored: number; physical: number }>`
    SELECT w.code, w.units_stored::int,
      coalesce((SELECT sum(on_hand + damaged + quality_control) FROM stock_levels s WHERE s.warehouse_code = w.code), 0)::int AS physical
    FROM warehouses w`.execute(db);
  for (const w of stored) {
    if (w.units_stored !== w.physical)
      problems.push(`warehouse ${w.code}: units_stored ${w.units_stored} != ${w.physical}`);
  }
  return problems;
}

// The ledger reconciles: per level the deltas sum to the balance and the last row's balances are it.
async function ledgerViolations(db: Kysely<WarehouseDatabase>, all: LevelRow[]): Promise<string[]> {
  const problems: string[] = [];
  const { rows: sums } = await sql<Record<string, number> & { warehouse_code: string; sku: string }>`
    SELECT warehouse_code, sku,
      sum(on_hand_delta)::int AS on_hand, sum(reserved_delta)::int AS reserved, sum(committed_delta)::int AS committed,
      sum(safety_stock_delta)::int AS safety_stock, sum(damaged_delta)::int AS damaged,
      sum(quality_control_delta)::int AS quality_control, sum(incoming_delta)::int AS incoming
    FROM stock_movements GROUP BY warehouse_code, sku`.execute(db);
  const { rows: last } = await sql<Record<string, number> & { warehouse_code: string; sku: string }>`
    SELECT DISTINCT ON (warehouse_code, sku) warehouse_code, sku,
      on_hand_after::int AS on_hand, reserved_after::int AS reserved, committed_after::int AS committed,
      safety_stock_after::int AS safety_stock, damaged_after::int AS damaged,
      quality_control_after::int AS quality_control, incoming_after::int AS incoming, level_version::int AS version
    FROM stock_movements ORDER BY warehouse_code, sku, movement_id DESC`.execute(db);
  const at = (rows: typeof sums, l: LevelRow) =>
    rows.find((r) => r.warehouse_code === l.warehouse_code && r.sku === l.sku);
  for (const l of all) {
    const sum = at(sums, l);
    const final = at(last, l);
    if (!sum || !final) {
      if (l.version !== 0)
        problems.push(`${l.warehouse_code}/${l.sku}: version ${l.version} without ledger rows`);
      continue;
    }
    for (const bucket of BUCKET_COLUMNS) {
      if (sum[bucket] !== l[bucket])
        problems.push(
          `${l.warehouse_code}/${l.sku}: ledger ${bucket} sums to ${sum[bucket]}, balance ${l[bucket]}`,
        );
      if (final[bucket] !== l[bucket])
        problems.push(
          `${l.warehouse_code}/${l.sku}: last ${bucket}_after ${final[bucket]}, balance ${l[bucket]}`,
        );
    }
    if (final.version !== l.version)
      problems.push(
        `${l.warehouse_code}/${l.sku}: last level_version ${final.version}, version ${l.version}`,
      );
  }
  return problems;
}

export async function assertInvariants(db: Kysely<WarehouseDatabase>): Promise<void> {
  expect(await invariantViolations(db)).toEqual([]);
}

// Runs fn inside a use case's transaction and then aborts it, so nothing fn wrote may survive.
export function abortingDeps(db: Kysely<WarehouseDatabase>, clock: () => Date): UseCaseDeps {
  return {
    ...createUseCaseDeps(db, { clock }),
    transaction: (fn) =>
      withTransaction(db, async (trx) => {
        await fn(trx);
        throw new ForcedRollback();
      }),
  };
}

export class ForcedRollback extends Error {
  override readonly name = "ForcedRollback";
}
