// The fulfillment.return.v1 events use cases write to the outbox, keyed by return id.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { OutboxEvent } from "@stockroom/outbox";
import {
  ReturnCondition,
  ReturnLineSchema,
  ReturnReceivedSchema,
  ReturnRefundLineSchema,
  ReturnRefundRequestedSchema,
  ReturnRequestedSchema,
} from "@stockroom/proto/stockroom/fulfillment/v1/events_pb.js";
import type { ReturnCondition as Condition } from "../domain/return-rules.ts";

export const RETURN_AGGREGATE = "return";

interface Subject {
  topic: string;
  returnId: string;
  orderId: string;
  version: number;
}

const CONDITION: Record<Condition, ReturnCondition> = {
  sellable: ReturnCondition.SELLABLE,
  damaged: ReturnCondition.DAMAGED,
  needs_qc: ReturnCondition.NEEDS_QC,
};

function envelopeOf(subject: Subject, eventType: string, now: Date) {
  return {
    topic: subject.topic,
    messageKey: subject.returnId,
    aggregateType: RETURN_AGGREGATE,
    aggregateId: subject.returnId,
    aggregateVersion: subject.version,
    eventType,
    occurredAt: now,
  };
}

type Line = { orderLineNumber: number; sku: string; quantity: number; condition?: Condition };

const linesOf = (lines: readonly Line[]) =>
  lines
    .filter((l) => l.quantity > 0)
    .map((l) =>
      create(ReturnLineSchema, {
        orderLineNumber: l.orderLineNumber,
        sku: l.sku,
        quantity: l.quantity,
        condition: l.condition ? CONDITION[l.condition] : ReturnCondition.UNSPECIFIED,
      }),
    );

export function returnRequestedEvent(
  subject: Subject & { fulfillmentId: string; customerId: string; reason: string },
  lines: readonly Line[],
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "ReturnRequested", now),
    payloadSchema: ReturnRequestedSchema,
    payload: create(ReturnRequestedSchema, {
      returnId: subject.returnId,
      orderId: subject.orderId,
      fulfillmentId: subject.fulfillmentId,
      customerId: subject.customerId,
      lines: linesOf(lines),
      reason: subject.reason,
      requestedAt: timestampFromDate(now),
    }),
  };
}

export function returnReceivedEvent(
  subject: Subject & { warehouseCode: string },
  lines: readonly Line[],
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "ReturnReceived", now),
    payloadSchema: ReturnReceivedSchema,
    payload: create(ReturnReceivedSchema, {
      returnId: subject.returnId,
      orderId: subject.orderId,
      warehouseCode: subject.warehouseCode,
      lines: linesOf(lines),
      receivedAt: timestampFromDate(now),
    }),
  };
}

export function returnRefundRequestedEvent(
  subject: Subject & { currency: string; reason: string },
  lines: readonly { orderLineNumber: number; sku: string; quantity: number; amountMinor: number }[],
  totalMinor: number,
  now: Date,
): OutboxEvent {
  return {
    ...envelopeOf(subject, "ReturnRefundRequested", now),
    payloadSchema: ReturnRefundRequestedSchema,
    payload: create(ReturnRefundRequestedSchema, {
      returnId: subject.returnId,
      orderId: subject.orderId,
      lines: lines.map((l) =>
        create(ReturnRefundLineSchema, {
          orderLineNumber: l.orderLineNumber,
          sku: l.sku,
          quantity: l.quantity,
          amount: { amountMinor: BigInt(l.amountMinor), currency: subject.currency },
        }),
      ),
      amount: { amountMinor: BigInt(totalMinor), currency: subject.currency },
      reason: subject.reason,
      requestedAt: timestampFromDate(now),
    }),
  };
}
