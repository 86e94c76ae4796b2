// Consumes the fulfillment service's events: fulfillment.fulfillment.v1 (shipped, delivered, short) and
// fulfillment.return.v1 (received, refund requested), each topic in its own group so a return waiting
// for its delivery never holds up the deliveries. Each envelope is decoded here into a fact and applied
// by its use case inside the consumer's transaction (event_processing_log row and aggregate-version
// guard first); the topics' other event types are skipped. A fact that cannot apply (unknown order or
// line, more units than there are) is a poison message and goes to the dead-letter topic.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { anyIs, anyUnpack, type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import type { Kysely, Transaction } from "@stockroom/db";
import {
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  FULFILLMENT_RETURN_TOPIC,
  FULFILLMENT_TOPIC,
  markRetryable,
  ORDER_FULFILLMENT_EVENTS_GROUP,
  ORDER_RETURN_EVENTS_GROUP,
} from "@stockroom/messaging";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import {
  FulfillmentDeliveredSchema,
  FulfillmentShippedSchema,
  FulfillmentShortSchema,
  ReturnReceivedSchema,
  ReturnRefundRequestedSchema,
} from "@stockroom/proto/stockroom/fulfillment/v1/events_pb.js";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { FulfillmentFact } from "../../app/apply-fulfillment-fact.ts";
import { DeliveryNotSeenYet, type ReturnFact } from "../../app/apply-return-fact.ts";

export class FulfillmentEventInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FulfillmentEventInvalidError";
  }
}

function unpack<S extends DescMessage>(envelope: EventEnvelope, schema: S): MessageShape<S> | undefined {
  const payload = envelope.payload;
  return payload && anyIs(payload, schema) ? anyUnpack(payload, schema) : undefined;
}

function at(ts: Timestamp | undefined, envelope: EventEnvelope): Date {
  const t = ts ?? envelope.occurredAt;
  return t ? timestampDate(t) : new Date();
}

function need(envelope: EventEnvelope, ok: boolean, what: string): void {
  if (!ok) throw new FulfillmentEventInvalidError(`event ${envelope.eventId}: ${what}`);
}

function factLines(
  envelope: EventEnvelope,
  lines: readonly { orderLineNumber: number; sku: string; quantity: number }[],
) {
  need(envelope, lines.length > 0, "no lines");
  for (const l of lines)
    need(
      envelope,
      l.orderLineNumber >= 1 && l.quantity >= 1 && l.sku !== "",
      "a line without number, sku or units",
    );
  return lines.map((l) => ({ lineNumber: l.orderLineNumber, sku: l.sku, quantity: l.quantity }));
}

export function decodeFulfillmentEvent(envelope: EventEnvelope): FulfillmentFact | undefined {
  const shipped = unpack(envelope, FulfillmentShippedSchema);
  if (shipped) {
    need(
      envelope,
      shipped.orderId !== "" && shipped.fulfillmentId !== "" && shipped.shipmentId !== "",
      "FulfillmentShipped without order, fulfillment or shipment",
    );
    return {
      kind: "shipped",
      orderId: shipped.orderId,
      fulfillmentId: shipped.fulfillmentId,
      shipmentId: shipped.shipmentId,
      warehouseCode: shipped.warehouseCode,
      lines: factLines(envelope, shipped.lines),
      at: at(shipped.shippedAt, envelope),
    };
  }
  const delivered = unpack(envelope, FulfillmentDeliveredSchema);
  if (delivered) {
    need(
      envelope,
      delivered.orderId !== "" && delivered.fulfillmentId !== "" && delivered.shipmentId !== "",
      "FulfillmentDelivered without order, fulfillment or shipment",
    );
    return {
      kind: "delivered",
      orderId: delivered.orderId,
      fulfillmentId: delivered.fulfillmentId,
      shipmentId: delivered.shipmentId,
      lines: factLines(envelope, delivered.lines),
      at: at(delivered.deliveredAt, envelope),
    };
  }
  const short = unpack(envelope, FulfillmentShortSchema);
  if (short) {
    need(
      envelope,
      short.orderId !== "" && short.fulfillmentId !== "",
      "FulfillmentShort without order or fulfillment",
    );
    return {
      kind: "short",
      orderId: short.orderId,
      fulfillmentId: short.fulfillmentId,
      eventId: envelope.eventId,
      warehouseCode: short.warehouseCode,
      lines: factLines(envelope, short.lines),
      at: at(short.detectedAt, envelope),
    };
  }
  return undefined;
}

export function decodeReturnEvent(envelope: EventEnvelope): ReturnFact | undefined {
  const received = unpack(envelope, ReturnReceivedSchema);
  if (received) {
    need(
      envelope,
      received.orderId !== "" && received.returnId !== "",
      "ReturnReceived without order or return",
    );
    return {
      kind: "return_received",
      orderId: received.orderId,
      returnId: received.returnId,
      lines: factLines(envelope, received.lines),
      at: at(received.receivedAt, envelope),
    };
  }
  const refund = unpack(envelope, ReturnRefundRequestedSchema);
  if (refund) {
    need(
      envelope,
      refund.orderId !== "" && refund.returnId !== "" && refund.amount !== undefined,
      "ReturnRefundRequested without order, return or amount",
    );
    return {
      kind: "return_refund_requested",
      orderId: refund.orderId,
      returnId: refund.returnId,
      lines: factLines(envelope, refund.lines).map((l, i) => ({
        ...l,
        amountMinor: Number(refund.lines[i]?.amount?.amountMinor ?? 0n),
      })),
      amountMinor: Number(refund.amount?.amountMinor ?? 0n),
      currency: refund.amount?.currency ?? "",
      reason: refund.reason,
    };
  }
  return undefined;
}

export interface FulfillmentFactUseCases<DB> {
  applyFulfillmentFact: (trx: Transaction<DB>, fact: FulfillmentFact) => Promise<void>;
  applyReturnFact: (trx: Transaction<DB>, fact: ReturnFact) => Promise<void>;
}

export interface FulfillmentConsumersOptions<DB> {
  kafka: Kafka;
  // The service schema's database (it holds event_processing_log and consumer_aggregate_versions).
  db: Kysely<DB>;
  useCases: FulfillmentFactUseCases<DB>;
  logger: ConsumerLogger;
  registry?: Registry;
  // Tests: their own topics and groups.
  topics?: { fulfillment: string; returns: string };
  groups?: { fulfillment: string; returns: string };
  retryBackoffMs?: number;
}

export function createFulfillmentEventConsumers<DB>(
  options: FulfillmentConsumersOptions<DB>,
): EventConsumer[] {
  const topics = options.topics ?? { fulfillment: FULFILLMENT_TOPIC, returns: FULFILLMENT_RETURN_TOPIC };
  const groups = options.groups ?? {
    fulfillment: ORDER_FULFILLMENT_EVENTS_GROUP,
    returns: ORDER_RETURN_EVENTS_GROUP,
  };
  const common = {
    kafka: options.kafka,
    db: options.db,
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
    ...(options.retryBackoffMs !== undefined && { retryBackoffMs: options.retryBackoffMs }),
  };
  return [
    createEventConsumer<DB>({
      ...common,
      groupId: groups.fulfillment,
      topics: [topics.fulfillment],
      consumerName: ORDER_FULFILLMENT_EVENTS_GROUP,
      handle: async (trx, event) => {
        const fact = decodeFulfillmentEvent(event.envelope);
        if (fact) await options.useCases.applyFulfillmentFact(trx, fact);
      },
    }),
    createEventConsumer<DB>({
      ...common,
      groupId: groups.returns,
      topics: [topics.returns],
      consumerName: ORDER_RETURN_EVENTS_GROUP,
      // A return whose delivery is not seen yet retries for a while (the deliveries' consumer catches up).
      maxRetries: 20,
      handle: async (trx, event) => {
        const fact = decodeReturnEvent(event.envelope);
        if (!fact) return;
        try {
          await options.useCases.applyReturnFact(trx, fact);
        } catch (err) {
          throw err instanceof DeliveryNotSeenYet ? markRetryable(err) : err;
        }
      },
    }),
  ];
}
