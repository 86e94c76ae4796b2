// Domain rows ↔ stockroom.fulfillment.v1 messages: status enums both ways, and the FulfillmentOrder,
// PickList and Return messages the RPCs answer with.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ReturnCondition as ProtoReturnCondition } from "@stockroom/proto/stockroom/fulfillment/v1/events_pb.js";
import {
  type FulfillmentOrderSchema,
  type PickListSchema,
  FulfillmentOrderStatus as ProtoFulfillmentStatus,
  PackageStatus as ProtoPackageStatus,
  PickLineStatus as ProtoPickLineStatus,
  PickListStatus as ProtoPickListStatus,
  QcOutcome as ProtoQcOutcome,
  QcTrigger as ProtoQcTrigger,
  ReturnReason as ProtoReturnReason,
  ReturnStatus as ProtoReturnStatus,
  type ReturnSchema,
} from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import type { FulfillmentView, PackageRow, PickListRow, ReturnRow } from "../../app/read-fulfillments.ts";
import type { FulfillmentStatus } from "../../domain/fulfillment-order.ts";
import type { PackageStatus, QcOutcome, QcTrigger } from "../../domain/package.ts";
import { type PickLineStatus, type PickListStatus, pickProgress } from "../../domain/pick-list.ts";
import type { ReturnCondition, ReturnReason, ReturnStatus } from "../../domain/return-rules.ts";

export const FULFILLMENT_STATUS_TO_PROTO: Record<FulfillmentStatus, ProtoFulfillmentStatus> = {
  verifying: ProtoFulfillmentStatus.VERIFYING,
  open: ProtoFulfillmentStatus.OPEN,
  picking: ProtoFulfillmentStatus.PICKING,
  picked: ProtoFulfillmentStatus.PICKED,
  packed: ProtoFulfillmentStatus.PACKED,
  qc_hold: ProtoFulfillmentStatus.QC_HOLD,
  shipped: ProtoFulfillmentStatus.SHIPPED,
  delivered: ProtoFulfillmentStatus.DELIVERED,
  cancelled: ProtoFulfillmentStatus.CANCELLED,
};
export const FULFILLMENT_STATUS_FROM_PROTO = new Map(
  Object.entries(FULFILLMENT_STATUS_TO_PROTO).map(([k, v]) => [v, k as FulfillmentStatus]),
);

const PICK_LIST_STATUS: Record<PickListStatus, ProtoPickListStatus> = {
  open: ProtoPickListStatus.OPEN,
  in_progress: ProtoPickListStatus.IN_PROGRESS,
  completed: ProtoPickListStatus.COMPLETED,
  cancelled: ProtoPickListStatus.CANCELLED,
};
const PICK_LINE_STATUS: Record<PickLineStatus, ProtoPickLineStatus> = {
  pending: ProtoPickLineStatus.PENDING,
  picked: ProtoPickLineStatus.PICKED,
  short: ProtoPickLineStatus.SHORT,
  cancelled: ProtoPickLineStatus.CANCELLED,
};
const PACKAGE_STATUS: Record<PackageStatus, ProtoPackageStatus> = {
  packed: ProtoPackageStatus.PACKED,
  qc_hold: ProtoPackageStatus.QC_HOLD,
  shipped: ProtoPackageStatus.SHIPPED,
  voided: ProtoPackageStatus.VOIDED,
};
const QC_TRIGGER: Record<QcTrigger, ProtoQcTrigger> = {
  weight_mismatch: ProtoQcTrigger.WEIGHT_MISMATCH,
  order_value: ProtoQcTrigger.ORDER_VALUE,
  random_sample: ProtoQcTrigger.RANDOM_SAMPLE,
};
export const QC_OUTCOME_FROM_PROTO = new Map<ProtoQcOutcome, QcOutcome>([
  [ProtoQcOutcome.PASS, "pass"],
  [ProtoQcOutcome.FAIL_QUALITY_CONTROL, "fail_quality_control"],
  [ProtoQcOutcome.FAIL_DAMAGED, "fail_damaged"],
]);
export const RETURN_STATUS_TO_PROTO: Record<ReturnStatus, ProtoReturnStatus> = {
  requested: ProtoReturnStatus.REQUESTED,
  authorized: ProtoReturnStatus.AUTHORIZED,
  rejected: ProtoReturnStatus.REJECTED,
  received: ProtoReturnStatus.RECEIVED,
  inspected: ProtoReturnStatus.INSPECTED,
  closed: ProtoReturnStatus.CLOSED,
};
export const RETURN_STATUS_FROM_PROTO = new Map(
  Object.entries(RETURN_STATUS_TO_PROTO).map(([k, v]) => [v, k as ReturnStatus]),
);
const RETURN_REASON_TO_PROTO: Record<ReturnReason, ProtoReturnReason> = {
  change_of_mind: ProtoReturnReason.CHANGE_OF_MIND,
  defective: ProtoReturnReason.DEFECTIVE,
  wrong_item: ProtoReturnReason.WRONG_ITEM,
  damaged_in_transit: ProtoReturnReason.DAMAGED_IN_TRANSIT,
  not_as_described: ProtoReturnReason.NOT_AS_DESCRIBED,
};
export const RETURN_REASON_FROM_PROTO = new Map(
  Object.entries(RETURN_REASON_TO_PROTO).map(([k, v]) => [v, k as ReturnReason]),
);
export const RETURN_CONDITION_FROM_PROTO = new Map<ProtoReturnCondition, ReturnCondition>([
  [ProtoReturnCondition.SELLABLE, "sellable"],
  [ProtoReturnCondition.DAMAGED, "damaged"],
  [ProtoReturnCondition.NEEDS_QC, "needs_qc"],
]);

const money = (amountMinor: number, currency: string) => ({ amountMinor: BigInt(amountMinor), currency });

export function encodePackage(p: PackageRow) {
  return {
    packageId: p.packageId,
    fulfillmentId: p.fulfillmentId,
    status: PACKAGE_STATUS[p.status],
    dimensions: p.dimensions,
    expectedWeightGrams: p.expectedWeightGrams,
    measuredWeightGrams: p.measuredWeightGrams,
    qcTriggers: p.qcTriggers.map((t) => QC_TRIGGER[t]),
    packedAt: timestampFromDate(p.packedAt),
  };
}

export function encodeFulfillment(f: FulfillmentView): MessageInitShape<typeof FulfillmentOrderSchema> {
  return {
    fulfillmentId: f.fulfillmentId,
    orderId: f.orderId,
    reservationId: f.reservationId,
    warehouseCode: f.warehouseCode,
    status: FULFILLMENT_STATUS_TO_PROTO[f.status],
    lines: f.lines.map((l) => ({
      orderLineNumber: l.orderLineNumber,
      sku: l.sku,
      lotCode: l.lotCode,
      quantities: {
        ordered: l.ordered,
        picked: l.picked,
        packed: l.packed,
        shipped: l.shipped,
        short: l.short,
        cancelled: l.cancelled,
        delivered: l.delivered,
        returned: l.returned,
      },
      unitPrice: money(l.unitPriceMinor, f.currency),
    })),
    pickListId: f.pickListId ?? "",
    packages: f.packages.map(encodePackage),
    ...(f.shipment && {
      shipment: {
        shipmentId: f.shipment.shipmentId,
        carrier: f.shipment.carrier,
        trackingNumber: f.shipment.trackingNumber,
        shippedAt: timestampFromDate(f.shipment.shippedAt),
        ...(f.shipment.deliveredAt && { deliveredAt: timestampFromDate(f.shipment.deliveredAt) }),
      },
    }),
    version: BigInt(f.version),
    createdAt: timestampFromDate(f.createdAt),
    updatedAt: timestampFromDate(f.updatedAt),
  };
}

export function encodePickList(list: PickListRow): MessageInitShape<typeof PickListSchema> {
  return {
    pickListId: list.pickListId,
    warehouseCode: list.warehouseCode,
    status: PICK_LIST_STATUS[list.status],
    lines: list.lines.map((l) => ({
      lineNumber: l.lineNumber,
      fulfillmentId: l.fulfillmentId,
      orderLineNumber: l.orderLineNumber,
      sku: l.sku,
      lotCode: l.lotCode,
      location: {
        binCode: l.binCode,
        zone: l.zone,
        aisle: l.aisle,
        position: l.position,
        pickSequence: l.pickSequence,
      },
      quantity: l.quantity,
      picked: l.picked,
      short: l.short,
      status: PICK_LINE_STATUS[l.status],
    })),
    progress: pickProgress(list.lines),
    fulfillmentIds: [...new Set(list.lines.map((l) => l.fulfillmentId))],
    version: BigInt(list.version),
    createdAt: timestampFromDate(list.createdAt),
    updatedAt: timestampFromDate(list.updatedAt),
  };
}

export function encodeReturn(r: ReturnRow): MessageInitShape<typeof ReturnSchema> {
  return {
    returnId: r.returnId,
    orderId: r.orderId,
    fulfillmentId: r.fulfillmentId,
    customerId: r.customerId,
    status: RETURN_STATUS_TO_PROTO[r.status],
    reason: RETURN_REASON_TO_PROTO[r.reason],
    note: r.note,
    warehouseCode: r.warehouseCode ?? "",
    lines: r.lines.map((l) => ({
      orderLineNumber: l.orderLineNumber,
      sku: l.sku,
      requested: l.requested,
      received: l.received,
      sellable: l.sellable,
      damaged: l.damaged,
      needsQc: l.needsQc,
      restocked: l.restocked,
      ...(l.refundMinor !== null && { refundAmount: money(l.refundMinor, r.currency) }),
    })),
    ...(r.refundMinor !== null && { refundAmount: money(r.refundMinor, r.currency) }),
    version: BigInt(r.version),
    requestedAt: timestampFromDate(new Date(r.requestedAt)),
    updatedAt: timestampFromDate(new Date(r.updatedAt)),
  };
}
