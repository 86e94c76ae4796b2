// The two statements every consumed event runs in its transaction, before the handler: the processing-log
// claim (dedupe by event id) and the aggregate-version guard. Tables: event_processing_log and
// consumer_aggregate_versions in the service's schema (search_path).
import { type Kysely, sql, type Transaction } from "@stockroom/db";

/** True when this consumer had not processed the event yet (the row is now claimed by this transaction). */
export async function claimEvent<DB>(
  trx: Transaction<DB>,
  eventId: string,
  consumer: string,
): Promise<boolean> {
  const result = await sql<{ event_id: string }>`
    INSERT INTO event_processing_log (event_id, consumer)
    VALUES (${eventId}, ${consumer})
    ON CONFLICT (event_id, consumer) DO NOTHING
    RETURNING event_id`.execute(trx);
  return result.rows.length === 1;
}

export interface AggregateRef {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly aggregateVersion: bigint;
}

/**
 * Records the version as the newest applied for (consumer, aggregate) when it is newer than the stored one;
 * false means the event is stale. The row lock it takes orders two events of one aggregate.
 */
export async function advanceAggregateVersion<DB>(
  trx: Transaction<DB>,
  consumer: string,
  aggregate: AggregateRef,
): Promise<boolean> {
  const version = aggregate.aggregateVersion.toString();
  const result = await sql<{ aggregate_version: string }>`
    INSERT INTO consumer_aggregate_versions (consumer, aggregate_type, aggregate_id, aggregate_version)
    VALUES (${consumer}, ${aggregate.aggregateType}, ${aggregate.aggregateId}, ${version})
    ON CONFLICT (consumer, aggregate_type, aggregate_id) DO UPDATE
       SET aggregate_version = EXCLUDED.aggregate_version, applied_at = now()
     WHERE consumer_aggregate_versions.aggregate_version < EXCLUDED.aggregate_version
    RETURNING aggregate_version`.execute(trx);
  return result.rows.length === 1;
}

/**
 * Deletes up to `limit` processing-log rows older than olderThanMs (by processed_at); returns how many
 * went. Call it in a loop until it returns less than limit, so no one statement holds many row locks.
 */
export async function deleteProcessedEventsBefore<DB>(
  db: Kysely<DB> | Transaction<DB>,
  olderThanMs: number,
  limit: number,
): Promise<number> {
  const result = await sql`
    DELETE FROM event_processing_log WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM event_processing_log
       WHERE processed_at < now() - make_interval(secs => ${olderThanMs}::double precision / 1000)
       LIMIT ${limit}))`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
