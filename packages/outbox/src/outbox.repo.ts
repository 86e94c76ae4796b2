// The relay's queries on a schema's outbox table (the pool's search_path names the schema).
import type pg from "pg";

export interface PublishableRow {
  id: string;
  event_id: string;
  topic: string;
  message_key: string;
  aggregate_type: string;
  aggregate_id: string;
  aggregate_version: string;
  event_type: string;
  envelope: Buffer;
}

export interface PendingStats {
  pending: number;
  oldestPendingSeconds: number;
}

// Only rows of transactions older than the oldest one still running: a transaction that is still open
// may hold a lower id for the same key, and publishing past it would reorder that key (or, with a
// cursor, skip the row for good). Unpublished rows are selected, never "rows above a cursor".
// `afterId` reads ahead past rows still being sent. Rows of one aggregate are written under that
// aggregate's lock, so a row that commits late can never precede, for its aggregate, a row read here; it
// is published by the next pass that reads from the start.
export async function selectPublishable(
  db: pg.Pool,
  limit: number,
  afterId?: string,
): Promise<PublishableRow[]> {
  const result = await db.query<PublishableRow>(
    `SELECT id, event_id, topic, message_key, aggregate_type, aggregate_id, aggregate_version,
            event_type, envelope
       FROM outbox
      WHERE published_at IS NULL
        AND txid < pg_snapshot_xmin(pg_current_snapshot())
        AND ($2::bigint IS NULL OR id > $2::bigint)
      ORDER BY id
      LIMIT $1`,
    [limit, afterId ?? null],
  );
  return result.rows;
}

export async function markPublished(db: pg.Pool, ids: readonly string[]): Promise<void> {
  await db.query("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", [ids]);
}

// One bounded batch per statement, so retention never holds a long lock or a huge transaction.
export async function deletePublishedBatch(db: pg.Pool, olderThanMs: number, limit: number): Promise<number> {
  const result = await db.query(
    `WITH doomed AS (
       SELECT id FROM outbox
        WHERE published_at < now() - make_interval(secs => $1::double precision / 1000)
        ORDER BY id
        LIMIT $2
     )
     DELETE FROM outbox o USING doomed WHERE o.id = doomed.id`,
    [olderThanMs, limit],
  );
  return result.rowCount ?? 0;
}

// The oldest pending row by id is the one waiting longest to be published (lag).
export async function readPendingStats(db: pg.Pool): Promise<PendingStats> {
  const result = await db.query<{ pending: string; oldest: number | null }>(
    `SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS pending,
            (SELECT EXTRACT(EPOCH FROM now() - occurred_at)::double precision
               FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1) AS oldest`,
  );
  const row = result.rows[0];
  return { pending: Number(row?.pending ?? 0), oldestPendingSeconds: Math.max(0, row?.oldest ?? 0) };
}
