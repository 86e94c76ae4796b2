// Events of the reservation aggregate (WAREHOUSE_RESERVATION_TOPIC, keyed by reservation id).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { WAREHOUSE_RESERVATION_TOPIC } from "@stockroom/messaging/topics";
import type { OutboxEvent } from "@stockroom/outbox";
import { ReservationChangedSchema } from "@stockroom/proto/stockroom/warehouse/v1/events_pb.js";
import {
  LineStatus,
  type Reservation,
  ReservationSchema,
  ReservationStatus,
} from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import type { LineStatus as DomainLineStatus, ReservationView } from "../domain/reservation.ts";
import { RESERVATION_AGGREGATE } from "./stock-events.ts";

const STATUS: Record<string, ReservationStatus> = {
  unspecified: ReservationStatus.UNSPECIFIED,
  active: ReservationStatus.ACTIVE,
  confirmed: ReservationStatus.CONFIRMED,
  released: ReservationStatus.RELEASED,
  expired: ReservationStatus.EXPIRED,
  cancelled: ReservationStatus.CANCELLED,
  shipped: ReservationStatus.SHIPPED,
};

const LINE_STATUS: Record<DomainLineStatus, LineStatus> = {
  held: LineStatus.HELD,
  committed: LineStatus.COMMITTED,
  shipped: LineStatus.SHIPPED,
  released: LineStatus.RELEASED,
};

export type ReservationEventType =
  | "ReservationCreated"
  | "ReservationExtended"
  | "ReservationReleased"
  | "ReservationExpired"
  | "ReservationConfirmed"
  | "ReservationCancelled"
  | "ReservationShipped";

export function reservationMessage(view: ReservationView): Reservation {
  return create(ReservationSchema, {
    reservationId: view.reservationId,
    reference: { type: view.referenceType, id: view.referenceId },
    status: STATUS[view.status] ?? ReservationStatus.UNSPECIFIED,
    lines: view.lines.map((line) => ({
      lineNumber: line.lineNumber,
      sku: line.sku,
      quantity: line.quantity,
      status: LINE_STATUS[line.status],
      allocations: line.allocations,
    })),
    expiresAt: view.expiresAt ? timestampFromDate(new Date(view.expiresAt)) : undefined,
    createdAt: timestampFromDate(new Date(view.createdAt)),
    updatedAt: timestampFromDate(new Date(view.updatedAt)),
    version: BigInt(view.version),
  });
}

export function reservationChanged(
  view: ReservationView,
  eventType: ReservationEventType,
  previousStatus: string,
  now: Date,
): OutboxEvent {
  return {
    topic: WAREHOUSE_RESERVATION_TOPIC,
    messageKey: view.reservationId,
    aggregateType: RESERVATION_AGGREGATE,
    aggregateId: view.reservationId,
    aggregateVersion: view.version,
    eventType,
    payloadSchema: ReservationChangedSchema,
    payload: create(ReservationChangedSchema, {
      reservation: reservationMessage(view),
      previousStatus: STATUS[previousStatus] ?? ReservationStatus.UNSPECIFIED,
      changedAt: timestampFromDate(now),
    }),
    occurredAt: now,
  };
}
