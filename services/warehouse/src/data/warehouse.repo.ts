// Warehouses: existence checks and the rows capacity checks lock.
import type { Db } from "./stock.repo.ts";

export async function findExistingWarehouseCodes(db: Db, codes: string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = await db.selectFrom("warehouses").select("code").where("code", "in", codes).execute();
  return new Set(rows.map((row) => row.code));
}

export interface WarehouseCapacity {
  code: string;
  active: boolean;
  capacityUnits: number;
  unitsStored: number;
  fillAlertRatio: number;
  capacityPolicy: "refuse" | "flag";
  overFillAlert: boolean;
}

// Locks a warehouse row: receipts and transfers into it serialize on it to check capacity.
export async function lockWarehouseCapacity(db: Db, code: string): Promise<WarehouseCapacity | undefined> {
  const row = await db
    .selectFrom("warehouses")
    .select([
      "code",
      "active",
      "capacity_units",
      "units_stored",
      "fill_alert_ratio",
      "capacity_policy",
      "over_fill_alert",
    ])
    .where("code", "=", code)
    .forUpdate()
    .executeTakeFirst();
  return (
    row && {
      code: row.code,
      active: row.active,
      capacityUnits: Number(row.capacity_units),
      unitsStored: Number(row.units_stored),
      fillAlertRatio: Number(row.fill_alert_ratio),
      capacityPolicy: row.capacity_policy,
      overFillAlert: row.over_fill_alert,
    }
  );
}

// Records whether the warehouse is above its fill-alert ratio; raising an alert takes the next event
// version of the warehouse aggregate, which is returned.
export async function setWarehouseFillAlert(
  db: Db,
  code: string,
  change: { overFillAlert: boolean; raise: boolean },
): Promise<number> {
  const row = await db
    .updateTable("warehouses")
    .set((eb) => ({
      over_fill_alert: change.overFillAlert,
      alert_version: change.raise ? eb("alert_version", "+", 1) : eb.ref("alert_version"),
    }))
    .where("code", "=", code)
    .returning("alert_version")
    .executeTakeFirstOrThrow();
  return Number(row.alert_version);
}
