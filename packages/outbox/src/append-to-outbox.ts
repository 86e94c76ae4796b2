// The one way a service writes events: in the transaction that made the change, into its own
// schema's outbox table (migrations create it with the same shape in every schema).
import { inSpan } from "@stockroom/telemetry";
import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import { type EventContext, type OutboxEvent, type OutboxRow, toOutboxRow } from "./outbox-event.ts";

export interface OutboxTable {
  id: import("kysely").Generated<string>;
  event_id: string;
  topic: string;
  message_key: string;
  aggregate_type: string;
  aggregate_id: string;
  aggregate_version: number;
  event_type: string;
  envelope: Uint8Array;
  occurred_at: Date;
  txid: import("kysely").Generated<string>;
  published_at: Date | null;
}

export interface OutboxDatabase {
  outbox: OutboxTable;
}

// Accepts any Kysely whose database has the outbox table; a plain Kysely (not a transaction) is
// allowed for single-statement writes, but callers normally pass their transaction.
export async function appendToOutbox<DB extends OutboxDatabase>(
  db: Kysely<DB> | Transaction<DB>,
  context: EventContext,
  events: OutboxEvent[],
): Promise<OutboxRow[]> {
  if (events.length === 0) return [];
  return inSpan("outbox.append", { attributes: { "stockroom.outbox.events": events.length } }, async () => {
    const rows = events.map((event) => toOutboxRow(context, event));
    await appendToOutboxStatement(rows).execute(db);
    return rows;
  });
}

// The INSERT that appends rows made by toOutboxRow, for a caller that writes them inside a larger
// statement of its own (e.g. as a data-modifying CTE, adding its own RETURNING), so the events cost no
// round trip of their own. Its text does not depend on the number of rows (one array per column).
export function appendToOutboxStatement(rows: readonly OutboxRow[]): RawBuilder<unknown> {
  return sql`INSERT INTO outbox (event_id, topic, message_key, aggregate_type, aggregate_id, aggregate_version, event_type,
        envelope, occurred_at)
      SELECT * FROM unnest(
        ${rows.map((o) => o.event_id)}::uuid[], ${rows.map((o) => o.topic)}::text[],
        ${rows.map((o) => o.message_key)}::text[], ${rows.map((o) => o.aggregate_type)}::text[],
        ${rows.map((o) => o.aggregate_id)}::text[], ${rows.map((o) => o.aggregate_version)}::bigint[],
        ${rows.map((o) => o.event_type)}::text[], ${rows.map((o) => Buffer.from(o.envelope))}::bytea[],
        ${rows.map((o) => o.occurred_at)}::timestamptz[])`;
}
