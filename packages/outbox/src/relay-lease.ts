// One active relay per schema: a session-level advisory lock held on a dedicated connection, which also
// LISTENs for the outbox trigger's NOTIFY (passed on to onWake). If that connection dies the server drops
// the lock, onWake is called too, and a standby relay's next attempt takes over.
import { assertSchemaName, quoteIdent } from "@stockroom/db";
import type pg from "pg";
import type { RelayLogger } from "./relay-logger.ts";

export interface RelayLease {
  /** True when this relay holds (or just took) the schema's lock. */
  tryAcquire(): Promise<boolean>;
  /** Whether the lock's connection is still up (it drops when the connection errors or ends). */
  isHeld(): boolean;
  release(): Promise<void>;
}

const LOCK_NAMESPACE = "stockroom.outbox-relay:";
// PostgreSQL identifiers (and so LISTEN channels) are at most 63 bytes; the trigger cuts the same way.
const MAX_CHANNEL_BYTES = 63;

export function outboxChannel(schema: string): string {
  return `outbox_${assertSchemaName(schema)}`.slice(0, MAX_CHANNEL_BYTES);
}

/** onWake: a NOTIFY arrived on the schema's channel, or the lock's connection was lost. */
export function createRelayLease(
  pool: pg.Pool,
  schema: string,
  logger: RelayLogger,
  onWake: () => void,
): RelayLease {
  const channel = outboxChannel(schema);
  let client: pg.PoolClient | undefined;

  // The connection (and with it the lock) is gone: forget it; the loop re-acquires or stays standby.
  function drop(client_: pg.PoolClient, err?: Error) {
    if (client !== client_) return;
    client = undefined;
    logger.warn({ err, schema }, "outbox relay lost its lock connection");
    client_.release(err ?? true);
    onWake();
  }

  async function tryAcquire(): Promise<boolean> {
    if (client) return true;
    const candidate = await pool.connect();
    try {
      const result = await candidate.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked",
        [LOCK_NAMESPACE + schema],
      );
      if (!result.rows[0]?.locked) {
        candidate.release();
        return false;
      }
      await candidate.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      candidate.release(err instanceof Error ? err : true);
      throw err;
    }
    client = candidate;
    candidate.on("notification", () => onWake());
    candidate.on("error", (err) => drop(candidate, err));
    candidate.on("end", () => drop(candidate));
    logger.info({ schema }, "outbox relay is active for this schema");
    return true;
  }

  async function release(): Promise<void> {
    const held = client;
    if (!held) return;
    client = undefined;
    try {
      // Unlock explicitly: destroying the socket alone frees the lock only once the server notices.
      await held.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [LOCK_NAMESPACE + schema]);
    } catch (err) {
      logger.warn({ err, schema }, "outbox relay could not unlock; closing the connection frees the lock");
    } finally {
      // Never back into the pool: the session carries LISTEN state.
      held.release(true);
    }
  }

  return { tryAcquire, isHeld: () => client !== undefined, release };
}
