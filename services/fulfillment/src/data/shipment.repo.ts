// Packages and shipments: the live package of a fulfillment, the ship transition (guarded by status),
// the shipment row (one per fulfillment, UNIQUE) and the lines' shipped units.
import { type Kysely, sql, type Transaction } from "@stockroom/db";
import { PACKAGE_TRANSITIONS } from "../domain/package.ts";
import type { FulfillmentDatabase } from "./database.ts";

export async function findLivePackage(trx: Transaction<FulfillmentDatabase>, fulfillmentId: string) {
  return trx
    .selectFrom("packages")
    .select(["package_id", "status"])
    .where("fulfillment_id", "=", fulfillmentId)
    .where("status", "<>", "voided")
    .executeTakeFirst();
}

export async function shipPackage(
  trx: Transaction<FulfillmentDatabase>,
  packageId: string,
  now: Date,
): Promise<boolean> {
  const row = await trx
    .updateTable("packages")
    .set({ status: PACKAGE_TRANSITIONS.ship.to, updated_at: now })
    .where("package_id", "=", packageId)
    .where("status", "in", [...PACKAGE_TRANSITIONS.ship.from])
    .returning("package_id")
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertShipment(
  trx: Transaction<FulfillmentDatabase>,
  shipment: {
    shipmentId: string;
    fulfillmentId: string;
    packageId: string;
    carrier: string;
    trackingNumber: string;
  },
  now: Date,
): Promise<void> {
  await trx
    .insertInto("shipments")
    .values({
      shipment_id: shipment.shipmentId,
      fulfillment_id: shipment.fulfillmentId,
      package_id: shipment.packageId,
      carrier: shipment.carrier,
      tracking_number: shipment.trackingNumber,
      shipped_at: now,
    })
    .execute();
}

export async function findShipment(trx: Transaction<FulfillmentDatabase>, fulfillmentId: string) {
  return trx
    .selectFrom("shipments")
    .selectAll()
    .where("fulfillment_id", "=", fulfillmentId)
    .executeTakeFirst();
}

// Every packed unit leaves with the parcel.
export async function markPackedUnitsShipped(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
): Promise<void> {
  await trx
    .updateTable("fulfillment_lines")
    .set({ shipped: sql<number>`packed` })
    .where("fulfillment_id", "=", fulfillmentId)
    .execute();
}

// The fulfillment's next event version, without a status change (an event that follows a warehouse
// answer, such as FulfillmentShipped after ShipReservation).
export async function bumpFulfillmentVersion(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  now: Date,
): Promise<number> {
  const row = await trx
    .updateTable("fulfillment_orders")
    .set({ version: sql<string>`version + 1`, updated_at: now })
    .where("fulfillment_id", "=", fulfillmentId)
    .returning("version")
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

// Delivered: every shipped unit of the fulfillment, and the shipment's time. Returns the shipment id.
export async function markDelivered(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  deliveredAt: Date,
): Promise<string> {
  await trx
    .updateTable("fulfillment_lines")
    .set({ delivered: sql<number>`shipped` })
    .where("fulfillment_id", "=", fulfillmentId)
    .execute();
  const row = await trx
    .updateTable("shipments")
    .set({ delivered_at: deliveredAt })
    .where("fulfillment_id", "=", fulfillmentId)
    .returning("shipment_id")
    .executeTakeFirstOrThrow();
  return row.shipment_id;
}

export async function findDeliveredAt(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
): Promise<Date | null> {
  const row = await trx
    .selectFrom("fulfillment_orders")
    .select("delivered_at")
    .where("fulfillment_id", "=", fulfillmentId)
    .executeTakeFirst();
  return row?.delivered_at ?? null;
}

// A carrier's webhook names its shipment by (carrier, tracking number), UNIQUE together.
export async function findShipmentByTracking(
  db: Kysely<FulfillmentDatabase>,
  carrier: string,
  trackingNumber: string,
): Promise<{ fulfillmentId: string; shipmentId: string } | undefined> {
  const row = await db
    .selectFrom("shipments")
    .select(["fulfillment_id", "shipment_id"])
    .where("carrier", "=", carrier)
    .where("tracking_number", "=", trackingNumber)
    .executeTakeFirst();
  return row && { fulfillmentId: row.fulfillment_id, shipmentId: row.shipment_id };
}
