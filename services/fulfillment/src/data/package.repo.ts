// Packages, the units each holds, and their QC inspections: named queries; each package transition a
// guarded UPDATE repeating the domain's `from` statuses (domain/package.ts).
import { type Kysely, sql, type Transaction } from "@stockroom/db";
import {
  PACKAGE_TRANSITIONS,
  type PackageCommand,
  type PackageStatus,
  type QcTrigger,
  type QcUnitResult,
} from "../domain/package.ts";
import type { FulfillmentDatabase } from "./database.ts";

type Db = Kysely<FulfillmentDatabase> | Transaction<FulfillmentDatabase>;

export interface PackageRow {
  packageId: string;
  fulfillmentId: string;
  status: PackageStatus;
  dimensions: { lengthMm: number; widthMm: number; heightMm: number };
  expectedWeightGrams: number;
  measuredWeightGrams: number;
  qcTriggers: QcTrigger[];
  packedAt: Date;
  lines: { orderLineNumber: number; quantity: number }[];
}

export async function insertPackage(
  trx: Transaction<FulfillmentDatabase>,
  p: Omit<PackageRow, "packedAt">,
  now: Date,
): Promise<void> {
  await trx
    .insertInto("packages")
    .values({
      package_id: p.packageId,
      fulfillment_id: p.fulfillmentId,
      status: p.status,
      length_mm: p.dimensions.lengthMm,
      width_mm: p.dimensions.widthMm,
      height_mm: p.dimensions.heightMm,
      expected_weight_grams: p.expectedWeightGrams,
      measured_weight_grams: p.measuredWeightGrams,
      qc_triggers: p.qcTriggers,
      packed_at: now,
      updated_at: now,
    })
    .execute();
  await trx
    .insertInto("package_lines")
    .values(
      p.lines.map((l) => ({
        package_id: p.packageId,
        fulfillment_id: p.fulfillmentId,
        order_line_number: l.orderLineNumber,
        quantity: l.quantity,
      })),
    )
    .execute();
}

function packagesQuery(db: Db) {
  return db.selectFrom("packages as p").select([
    "p.package_id",
    "p.fulfillment_id",
    "p.status",
    "p.length_mm",
    "p.width_mm",
    "p.height_mm",
    "p.expected_weight_grams",
    "p.measured_weight_grams",
    "p.qc_triggers",
    "p.packed_at",
    sql<{ order_line_number: number; quantity: number }[]>`(
        SELECT coalesce(json_agg(json_build_object('order_line_number', l.order_line_number,
                                                   'quantity', l.quantity) ORDER BY l.order_line_number), '[]')
          FROM package_lines l WHERE l.package_id = p.package_id)`.as("lines"),
  ]);
}

function packageFromRow(row: {
  package_id: string;
  fulfillment_id: string;
  status: PackageStatus;
  length_mm: number;
  width_mm: number;
  height_mm: number;
  expected_weight_grams: number;
  measured_weight_grams: number;
  qc_triggers: QcTrigger[];
  packed_at: Date;
  lines: { order_line_number: number; quantity: number }[];
}): PackageRow {
  return {
    packageId: row.package_id,
    fulfillmentId: row.fulfillment_id,
    status: row.status,
    dimensions: { lengthMm: row.length_mm, widthMm: row.width_mm, heightMm: row.height_mm },
    expectedWeightGrams: row.expected_weight_grams,
    measuredWeightGrams: row.measured_weight_grams,
    qcTriggers: row.qc_triggers,
    packedAt: row.packed_at,
    lines: row.lines.map((l) => ({ orderLineNumber: l.order_line_number, quantity: l.quantity })),
  };
}

export async function findPackage(db: Db, packageId: string, lock = false): Promise<PackageRow | undefined> {
  let query = packagesQuery(db).where("p.package_id", "=", packageId);
  if (lock) query = query.forUpdate("p");
  const row = await query.executeTakeFirst();
  return row ? packageFromRow(row) : undefined;
}

export async function listPackagesOf(db: Db, fulfillmentId: string): Promise<PackageRow[]> {
  const rows = await packagesQuery(db)
    .where("p.fulfillment_id", "=", fulfillmentId)
    .orderBy("p.packed_at")
    .orderBy("p.package_id")
    .execute();
  return rows.map(packageFromRow);
}

export async function transitionPackage(
  trx: Transaction<FulfillmentDatabase>,
  packageId: string,
  command: PackageCommand,
  now: Date,
): Promise<boolean> {
  const rule = PACKAGE_TRANSITIONS[command];
  const row = await trx
    .updateTable("packages")
    .set({ status: rule.to, updated_at: now })
    .where("package_id", "=", packageId)
    .where("status", "in", [...rule.from])
    .returning("package_id")
    .executeTakeFirst();
  return row !== undefined;
}

// Grams per unit from the catalog, kept on the lines the package was weighed for.
export async function setUnitWeights(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  weights: ReadonlyMap<number, number>,
): Promise<void> {
  for (const [orderLineNumber, grams] of weights) {
    await trx
      .updateTable("fulfillment_lines")
      .set({ unit_weight_grams: grams })
      .where("fulfillment_id", "=", fulfillmentId)
      .where("order_line_number", "=", orderLineNumber)
      .execute();
  }
}

// Every picked unit not yet packed goes into the package (the CHECK packed <= picked bounds it).
export async function markPickedUnitsPacked(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
): Promise<void> {
  await trx
    .updateTable("fulfillment_lines")
    .set({ packed: sql<number>`picked` })
    .where("fulfillment_id", "=", fulfillmentId)
    .execute();
}

export async function insertQcInspection(
  trx: Transaction<FulfillmentDatabase>,
  inspection: {
    inspectionId: string;
    packageId: string;
    inspector: string;
    note: string;
    results: readonly QcUnitResult[];
  },
  now: Date,
): Promise<void> {
  const failed = inspection.results.filter((r) => r.outcome !== "pass").length;
  await trx
    .insertInto("qc_inspections")
    .values({
      inspection_id: inspection.inspectionId,
      package_id: inspection.packageId,
      inspector: inspection.inspector.slice(0, 200),
      note: inspection.note,
      passed_units: inspection.results.length - failed,
      failed_units: failed,
      inspected_at: now,
    })
    .execute();
  await trx
    .insertInto("qc_unit_results")
    .values(
      inspection.results.map((r) => ({
        inspection_id: inspection.inspectionId,
        package_id: inspection.packageId,
        order_line_number: r.orderLineNumber,
        unit_index: r.unitIndex,
        outcome: r.outcome,
        reason: r.reason,
      })),
    )
    .execute();
}

// Units that failed QC leave picked (into qc_failed), and go short unless a replacement is picked; the
// package is opened, so nothing of the fulfillment stays packed (its good units are packed again).
export async function applyQcFailures(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  failedByLine: ReadonlyMap<number, number>,
  replace: boolean,
): Promise<void> {
  await trx
    .updateTable("fulfillment_lines")
    .set({ packed: sql<number>`shipped` })
    .where("fulfillment_id", "=", fulfillmentId)
    .execute();
  for (const [orderLineNumber, failed] of failedByLine) {
    await trx
      .updateTable("fulfillment_lines")
      .set({
        picked: sql<number>`picked - ${failed}`,
        qc_failed: sql<number>`qc_failed + ${failed}`,
        ...(!replace && { short_quantity: sql<number>`short_quantity + ${failed}` }),
      })
      .where("fulfillment_id", "=", fulfillmentId)
      .where("order_line_number", "=", orderLineNumber)
      .execute();
  }
}

// A cancel opens the fulfillment's live package (packed or held), so it can never ship.
export async function voidLivePackages(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  now: Date,
): Promise<number> {
  const rows = await trx
    .updateTable("packages")
    .set({ status: PACKAGE_TRANSITIONS.void.to, updated_at: now })
    .where("fulfillment_id", "=", fulfillmentId)
    .where("status", "in", [...PACKAGE_TRANSITIONS.void.from])
    .returning("package_id")
    .execute();
  return rows.length;
}
