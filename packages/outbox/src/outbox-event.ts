// An event as a use case describes it, and the envelope + outbox row it becomes.
import { create, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { anyPack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { v7 as uuidv7 } from "uuid";

export interface EventContext {
  // The service writing the event (envelope `producer`).
  producer: string;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  traceId?: string | undefined;
}

export interface OutboxEvent<Desc extends DescMessage = DescMessage> {
  topic: string;
  // Kafka message key; all events with one key keep their order.
  messageKey: string;
  aggregateType: string;
  aggregateId: string;
  // Per-aggregate sequence number, assigned by the writing transaction.
  aggregateVersion: number;
  eventType: string;
  payloadSchema: Desc;
  payload: MessageShape<Desc>;
  occurredAt?: Date;
}

export interface OutboxRow {
  event_id: string;
  topic: string;
  message_key: string;
  aggregate_type: string;
  aggregate_id: string;
  aggregate_version: number;
  event_type: string;
  envelope: Uint8Array;
  occurred_at: Date;
}

export function toOutboxRow(context: EventContext, event: OutboxEvent): OutboxRow {
  const eventId = uuidv7();
  const occurredAt = event.occurredAt ?? new Date();
  const envelope = create(EventEnvelopeSchema, {
    eventId,
    eventType: event.eventType,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    aggregateVersion: BigInt(event.aggregateVersion),
    occurredAt: timestampFromDate(occurredAt),
    producer: context.producer,
    correlationId: context.correlationId ?? "",
    causationId: context.causationId ?? "",
    traceId: context.traceId ?? "",
    payload: anyPack(event.payloadSchema, event.payload),
  });
  return {
    event_id: eventId,
    topic: event.topic,
    message_key: event.messageKey,
    aggregate_type: event.aggregateType,
    aggregate_id: event.aggregateId,
    aggregate_version: event.aggregateVersion,
    event_type: event.eventType,
    envelope: toBinary(EventEnvelopeSchema, envelope),
    occurred_at: occurredAt,
  };
}
