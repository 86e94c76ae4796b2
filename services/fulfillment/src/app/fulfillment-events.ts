// The fulfillment.fulfillment.v1 events use cases write to the outbox, keyed by fulfillment id.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { OutboxEvent } from "@stockroom/outbox";
import {
  FulfillmentCancelledSchema,
  FulfillmentCreatedSchema,
  FulfillmentDeliveredSchema,
  type FulfillmentLine,
  FulfillmentLineSchema,
  FulfillmentPackedSchema,
  FulfillmentPickedSchema,
  FulfillmentQcFailedSchema,
  FulfillmentShippedSchema,
  FulfillmentShortSchema,
  ShortReason,
} from "@stockroom/proto/stockroom/fulfillment/v1/events_pb.js";

export const FULFILLMENT_AGGREGATE = "fulfillment";

export interface EventLine {
  orderLineNumber: number;
  sku: string;
  quantity: number;
  lotCode: string;
}

interface Subject {
  topic: string;
  fulfillmentId: string;
  orderId: string;
  warehouseCode: string;
  version: number;
}

function linesOf(subject: Subject, lines: readonly EventLine[]): FulfillmentLine[] {
  return lines
    .filter((l) => l.quantity > 0)
    .map((l) =>
      create(FulfillmentLineSchema, {
        orderLineNumber: l.orderLineNumber,
        sku: l.sku,
        quantity: l.quantity,
        warehouseCode: subject.warehouseCode,
        lotCode: l.lotCode,
      }),
    );
}

function envelopeOf(subject: Subject, eventType: string, now: Date) {
  return {
    topic: subject.topic,
    messageKey: subject.fulfillmentId,
    aggregateType: FULFILLMENT_AGGREGATE,
    aggregateId: subject.fulfillmentId,
    aggregateVersion: subject.version,
    eventType,
    occurredAt: now,
  };
}

export function fulfillmentCreatedEvent(
  subject: Subject & { reservationId: string },
  lines: readonly EventLine[],
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "FulfillmentCreated", now),
    payloadSchema: FulfillmentCreatedSchema,
    payload: create(FulfillmentCreatedSchema, {
      fulfillmentId: subject.fulfillmentId,
      orderId: subject.orderId,
      warehouseCode: subject.warehouseCode,
      reservationId: subject.reservationId,
      lines: linesOf(subject, lines),
      createdAt: timestampFromDate(now),
    }),
  };
}

export function fulfillmentShortEvent(
  subject: Subject,
  lines: readonly EventLine[],
  reason: ShortReason,
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "FulfillmentShort", now),
    payloadSchema: FulfillmentShortSchema,
    payload: create(FulfillmentShortSchema, {
      fulfillmentId: subject.fulfillmentId,
      orderId: subject.orderId,
      warehouseCode: subject.warehouseCode,
      lines: linesOf(subject, lines),
      reason,
      detectedAt: timestampFromDate(now),
    }),
  };
}

export function fulfillmentCancelledEvent(
  subject: Subject,
  lines: readonly EventLine[],
  reason: string,
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "FulfillmentCancelled", now),
    payloadSchema: FulfillmentCancelledSchema,
    payload: create(FulfillmentCancelledSchema, {
      fulfillmentId: subject.fulfillmentId,
      orderId: subject.orderId,
      warehouseCode: subject.warehouseCode,
      lines: linesOf(subject, lines),
      reason,
      cancelledAt: timestampFromDate(now),
    }),
  };
}

export function fulfillmentShippedEvent(
  subject: Subject,
  shipment: { shipmentId: string; carrier: string; trackingNumber: string; shippedAt: Date },
  lines: readonly EventLine[],
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "FulfillmentShipped", now),
    payloadSchema: FulfillmentShippedSchema,
    payload: create(FulfillmentShippedSchema, {
      fulfillmentId: subject.fulfillmentId,
      orderId: subject.orderId,
      warehouseCode: subject.warehouseCode,
      shipmentId: shipment.shipmentId,
      carrier: shipment.carrier,
      trackingNumber: shipment.trackingNumber,
      lines: linesOf(subject, lines),
      shippedAt: timestampFromDate(shipment.shippedAt),
    }),
  };
}

export function fulfillmentDeliveredEvent(
  subject: Subject,
  shipmentId: string,
  lines: readonly EventLine[],
  deliveredAt: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "FulfillmentDelivered", deliveredAt),
    payloadSchema: FulfillmentDeliveredSchema,
    payload: create(FulfillmentDeliveredSchema, {
      fulfillmentId: subject.fulfillmentId,
      orderId: subject.orderId,
      shipmentId,
      lines: linesOf(subject, lines),
      deliveredAt: timestampFromDate(deliveredAt),
    }),
  };
}

export function fulfillmentPickedEvent(
  subject: Subject,
  pickListId: string,
  lines: readonly EventLine[],
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "FulfillmentPicked", now),
    payloadSchema: FulfillmentPickedSchema,
    payload: create(FulfillmentPickedSchema, {
      fulfillmentId: subject.fulfillmentId,
      orderId: subject.orderId,
      pickListId,
      lines: linesOf(subject, lines),
      pickedAt: timestampFromDate(now),
    }),
  };
}

export function fulfillmentPackedEvent(
  subject: Subject,
  parcel: {
    packageId: string;
    expectedWeightGrams: number;
    measuredWeightGrams: number;
    qcTriggers: readonly string[];
  },
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "FulfillmentPacked", now),
    payloadSchema: FulfillmentPackedSchema,
    payload: create(FulfillmentPackedSchema, {
      fulfillmentId: subject.fulfillmentId,
      orderId: subject.orderId,
      packageId: parcel.packageId,
      expectedWeightGrams: parcel.expectedWeightGrams,
      measuredWeightGrams: parcel.measuredWeightGrams,
      qcHold: parcel.qcTriggers.length > 0,
      qcTriggers: [...parcel.qcTriggers],
      packedAt: timestampFromDate(now),
    }),
  };
}

export function fulfillmentQcFailedEvent(
  subject: Subject,
  packageId: string,
  lines: readonly EventLine[],
  replacementPicked: boolean,
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "FulfillmentQcFailed", now),
    payloadSchema: FulfillmentQcFailedSchema,
    payload: create(FulfillmentQcFailedSchema, {
      fulfillmentId: subject.fulfillmentId,
      orderId: subject.orderId,
      packageId,
      lines: linesOf(subject, lines),
      replacementPicked,
      inspectedAt: timestampFromDate(now),
    }),
  };
}

export { ShortReason };
