// An event as a use case describes it, and the envelope + outbox row it becomes.

import { randomFillSync } from "node:crypto";
import { create, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { anyPack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { traceIdOf, traceparentOf } from "@stockroom/telemetry";
import { v7 as uuidv7 } from "uuid";

export interface EventContext {
  // The service writing the event (envelope `producer`).
  producer: string;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  traceId?: string | undefined;
  // The request's W3C traceparent (its server span's, with tracing on); preferred over traceId.
  traceparent?: string | undefined;
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

// uuid's own v7 asks WebCrypto for 16 random bytes per id, a cost the reserve path's two events per
// reservation showed (docs/performance.md). Event ids take their random bytes from a pool refilled 256
// ids at a time instead.
const randomPool = new Uint8Array(4096);
let randomOffset = randomPool.length;

function newEventId(): string {
  if (randomOffset + 16 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const random = randomPool.subarray(randomOffset, randomOffset + 16);
  randomOffset += 16;
  return uuidv7({ random });
}

export function toOutboxRow(context: EventContext, event: OutboxEvent): OutboxRow {
  const eventId = newEventId();
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
    traceId: envelopeTrace(context),
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

// The envelope's trace field: the writing transaction's span when it belongs to the request's trace (a
// reserve batch writes several requests' rows in the context of the first), else the request's own.
function envelopeTrace(context: EventContext): string {
  const active = traceparentOf();
  if (active && (!context.traceparent || traceIdOf(active) === traceIdOf(context.traceparent))) return active;
  return context.traceparent ?? context.traceId ?? "";
}
