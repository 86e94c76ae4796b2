// What the ops queries read: a fulfillment with its times, packages and shipment, and pages of
// fulfillments by warehouse, status and order, oldest first (ids are UUIDv7, so id order is creation
// order: the keyset is the id alone).
import type { Kysely, Transaction } from "@stockroom/db";
import type { FulfillmentStatus } from "../domain/fulfillment-order.ts";
import type { FulfillmentDatabase } from "./database.ts";
import { type FulfillmentRow, findFulfillment } from "./fulfillment-order.repo.ts";
import { listPackagesOf, type PackageRow } from "./package.repo.ts";

type Db = Kysely<FulfillmentDatabase> | Transaction<FulfillmentDatabase>;

export interface FulfillmentView extends FulfillmentRow {
  createdAt: Date;
  updatedAt: Date;
  packages: PackageRow[];
  shipment?:
    | {
        shipmentId: string;
        carrier: string;
        trackingNumber: string;
        shippedAt: Date;
        deliveredAt: Date | null;
      }
    | undefined;
}

export async function findFulfillmentView(
  db: Db,
  fulfillmentId: string,
): Promise<FulfillmentView | undefined> {
  const fulfillment = await findFulfillment(db, fulfillmentId);
  if (!fulfillment) return undefined;
  const times = await db
    .selectFrom("fulfillment_orders")
    .select(["created_at", "updated_at"])
    .where("fulfillment_id", "=", fulfillmentId)
    .executeTakeFirstOrThrow();
  const shipment = await db
    .selectFrom("shipments")
    .selectAll()
    .where("fulfillment_id", "=", fulfillmentId)
    .executeTakeFirst();
  return {
    ...fulfillment,
    createdAt: times.created_at,
    updatedAt: times.updated_at,
    packages: await listPackagesOf(db, fulfillmentId),
    shipment: shipment && {
      shipmentId: shipment.shipment_id,
      carrier: shipment.carrier,
      trackingNumber: shipment.tracking_number,
      shippedAt: shipment.shipped_at,
      deliveredAt: shipment.delivered_at,
    },
  };
}

export interface FulfillmentFilter {
  warehouseCode?: string | undefined;
  statuses: readonly FulfillmentStatus[];
  orderId?: string | undefined;
}

export async function listFulfillmentIds(
  db: Db,
  filter: FulfillmentFilter,
  page: { size: number; afterId?: string | undefined },
): Promise<string[]> {
  let query = db
    .selectFrom("fulfillment_orders")
    .select("fulfillment_id")
    .orderBy("fulfillment_id")
    .limit(page.size);
  if (filter.warehouseCode !== undefined) query = query.where("warehouse_code", "=", filter.warehouseCode);
  if (filter.statuses.length > 0) query = query.where("status", "in", [...filter.statuses]);
  if (filter.orderId !== undefined) query = query.where("order_id", "=", filter.orderId);
  if (page.afterId !== undefined) query = query.where("fulfillment_id", ">", page.afterId);
  return (await query.execute()).map((r) => r.fulfillment_id);
}
