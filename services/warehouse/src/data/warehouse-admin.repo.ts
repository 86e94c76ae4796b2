// Warehouses and bins as operations staff manage them: plain rows, mapped to the domain's records.
import type { Selectable } from "kysely";
import type { BinRecord, WarehouseFields, WarehouseRecord } from "../domain/warehouse.ts";
import type { BinsTable, WarehousesTable } from "./database.ts";
import type { Db } from "./stock.repo.ts";

function toWarehouse(row: Selectable<WarehousesTable>): WarehouseRecord {
  return {
    code: row.code,
    name: row.name,
    address: row.address,
    location:
      row.latitude === null || row.longitude === null
        ? null
        : { latitude: Number(row.latitude), longitude: Number(row.longitude) },
    capacityUnits: Number(row.capacity_units),
    fillAlertRatio: Number(row.fill_alert_ratio),
    capacityPolicy: row.capacity_policy,
    priority: row.priority,
    active: row.active,
    unitsStored: Number(row.units_stored),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toColumns(fields: WarehouseFields) {
  return {
    name: fields.name,
    address: fields.address,
    latitude: fields.location?.latitude ?? null,
    longitude: fields.location?.longitude ?? null,
    capacity_units: fields.capacityUnits,
    fill_alert_ratio: fields.fillAlertRatio,
    capacity_policy: fields.capacityPolicy,
    priority: fields.priority,
    active: fields.active,
  };
}

// Undefined when the code is taken.
export async function insertWarehouse(db: Db, fields: WarehouseFields): Promise<WarehouseRecord | undefined> {
  const row = await db
    .insertInto("warehouses")
    .values({ code: fields.code, ...toColumns(fields) })
    .onConflict((oc) => oc.column("code").doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toWarehouse(row);
}

// Undefined when no such warehouse.
export async function updateWarehouse(db: Db, fields: WarehouseFields): Promise<WarehouseRecord | undefined> {
  const row = await db
    .updateTable("warehouses")
    .set({ ...toColumns(fields), updated_at: new Date() })
    .where("code", "=", fields.code)
    .returningAll()
    .executeTakeFirst();
  return row && toWarehouse(row);
}

export async function findWarehouse(db: Db, code: string): Promise<WarehouseRecord | undefined> {
  const row = await db.selectFrom("warehouses").selectAll().where("code", "=", code).executeTakeFirst();
  return row && toWarehouse(row);
}

export async function listWarehouses(db: Db, includeInactive: boolean): Promise<WarehouseRecord[]> {
  let query = db.selectFrom("warehouses").selectAll().orderBy("priority").orderBy("code");
  if (!includeInactive) query = query.where("active", "=", true);
  return (await query.execute()).map(toWarehouse);
}

function toBin(row: Selectable<BinsTable>): BinRecord {
  return {
    warehouseCode: row.warehouse_code,
    code: row.code,
    zone: row.zone,
    aisle: row.aisle,
    position: row.position,
    pickSequence: row.pick_sequence,
  };
}

// Undefined when the bin code is taken in that warehouse.
export async function insertBin(db: Db, bin: BinRecord): Promise<BinRecord | undefined> {
  const row = await db
    .insertInto("bins")
    .values({
      warehouse_code: bin.warehouseCode,
      code: bin.code,
      zone: bin.zone,
      aisle: bin.aisle,
      position: bin.position,
      pick_sequence: bin.pickSequence,
    })
    .onConflict((oc) => oc.columns(["warehouse_code", "code"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toBin(row);
}

export async function listBins(db: Db, warehouseCode: string): Promise<BinRecord[]> {
  const rows = await db
    .selectFrom("bins")
    .selectAll()
    .where("warehouse_code", "=", warehouseCode)
    .orderBy("pick_sequence")
    .orderBy("code")
    .execute();
  return rows.map(toBin);
}

export async function deleteBin(db: Db, warehouseCode: string, code: string): Promise<boolean> {
  const result = await db
    .deleteFrom("bins")
    .where("warehouse_code", "=", warehouseCode)
    .where("code", "=", code)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function setLowStockThreshold(
  db: Db,
  warehouseCode: string,
  sku: string,
  threshold: number,
): Promise<void> {
  await db
    .updateTable("stock_levels")
    .set({ low_stock_threshold: threshold })
    .where("warehouse_code", "=", warehouseCode)
    .where("sku", "=", sku)
    .execute();
}
