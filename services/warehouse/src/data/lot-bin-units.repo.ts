// Units per lot and bin: where received units were put away, so picking can find them.
import { sql } from "kysely";
import type { Db } from "./stock.repo.ts";

export interface LotBinUnits {
  warehouseCode: string;
  sku: string;
  lotCode: string;
  binCode: string;
  units: number;
}

// The codes among `codes` that are bins of the warehouse, locked FOR SHARE so a concurrent DeleteBin
// waits for the receipt that puts units into them.
export async function lockExistingBins(db: Db, warehouseCode: string, codes: string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = await db
    .selectFrom("bins")
    .select("code")
    .where("warehouse_code", "=", warehouseCode)
    .where("code", "in", codes)
    .forShare()
    .execute();
  return new Set(rows.map((row) => row.code));
}

// Adds units to each (lot, bin); the lots must exist (written by the same transaction's stock changes).
export async function addLotBinUnits(db: Db, rows: LotBinUnits[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("lot_bin_units")
    .values(
      rows.map((row) => ({
        warehouse_code: row.warehouseCode,
        sku: row.sku,
        lot_code: row.lotCode,
        bin_code: row.binCode,
        units: row.units,
      })),
    )
    .onConflict((oc) =>
      oc.columns(["warehouse_code", "sku", "lot_code", "bin_code"]).doUpdateSet({
        units: sql<number>`lot_bin_units.units + excluded.units`,
        updated_at: sql<Date>`now()`,
      }),
    )
    .execute();
}

// Where a level's units are, bin by bin in pick order: what a pick for an allocation of the level's lots
// reads.
export async function listLotBinUnits(db: Db, warehouseCode: string, sku: string): Promise<LotBinUnits[]> {
  const rows = await db
    .selectFrom("lot_bin_units as u")
    .innerJoin("bins as b", (join) =>
      join.onRef("b.warehouse_code", "=", "u.warehouse_code").onRef("b.code", "=", "u.bin_code"),
    )
    .select(["u.warehouse_code", "u.sku", "u.lot_code", "u.bin_code", "u.units"])
    .where("u.warehouse_code", "=", warehouseCode)
    .where("u.sku", "=", sku)
    .where("u.units", ">", 0)
    .orderBy("b.pick_sequence")
    .orderBy("u.bin_code")
    .orderBy("u.lot_code")
    .execute();
  return rows.map((row) => ({
    warehouseCode: row.warehouse_code,
    sku: row.sku,
    lotCode: row.lot_code,
    binCode: row.bin_code,
    units: Number(row.units),
  }));
}

export interface UnitLocation extends LotBinUnits {
  zone: string;
  aisle: string;
  position: string;
  pickSequence: number;
}

// ListUnitLocations: the units of several skus bin by bin with each bin's place on the route, in pick
// order (pick_sequence, bin, sku, lot).
export async function listUnitLocations(
  db: Db,
  warehouseCode: string,
  skus: readonly string[],
): Promise<UnitLocation[]> {
  if (skus.length === 0) return [];
  const rows = await db
    .selectFrom("lot_bin_units as u")
    .innerJoin("bins as b", (join) =>
      join.onRef("b.warehouse_code", "=", "u.warehouse_code").onRef("b.code", "=", "u.bin_code"),
    )
    .select([
      "u.warehouse_code",
      "u.sku",
      "u.lot_code",
      "u.bin_code",
      "u.units",
      "b.zone",
      "b.aisle",
      "b.position",
      "b.pick_sequence",
    ])
    .where("u.warehouse_code", "=", warehouseCode)
    .where("u.sku", "in", [...skus])
    .where("u.units", ">", 0)
    .orderBy("b.pick_sequence")
    .orderBy("u.bin_code")
    .orderBy("u.sku")
    .orderBy("u.lot_code")
    .execute();
  return rows.map((row) => ({
    warehouseCode: row.warehouse_code,
    sku: row.sku,
    lotCode: row.lot_code,
    binCode: row.bin_code,
    units: Number(row.units),
    zone: row.zone,
    aisle: row.aisle,
    position: row.position,
    pickSequence: row.pick_sequence,
  }));
}
