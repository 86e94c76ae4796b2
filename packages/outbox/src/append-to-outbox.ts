// The one way a service writes events: in the transaction that made the change, into its own
// schema's outbox table (migrations create it with the same shape in every schema).
import type { Kysely, Transaction } from "kysely";
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
  const rows = events.map((event) => toOutboxRow(context, event));
  const outboxDb = db as unknown as Kysely<OutboxDatabase>;
  await outboxDb.insertInto("outbox").values(rows).execute();
  return rows;
}
