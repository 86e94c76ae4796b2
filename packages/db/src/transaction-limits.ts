// A transaction run for a caller with a deadline or an abort signal (CallLimits): each statement is capped
// at the time the caller has left (statement_timeout, never above the pool's own cap), no statement is
// sent once the caller has gone, and the one running when it goes is cancelled, so its locks are released
// at once rather than when the statement would have finished.
import { type CallLimits, remainingMs } from "@stockroom/errors";
import { type Kysely, type KyselyPlugin, sql, type Transaction } from "kysely";
import pg from "pg";
import { poolOf } from "./kysely.ts";

interface Backend {
  pid: number;
  // now() as text: the transaction's start to the microsecond, which names it in pg_stat_activity.
  started: string;
}

/**
 * Runs fn in trx within the caller's limits. The statement that sets them goes out without being waited
 * for: node-postgres queues fn's first statement behind it on the same connection.
 */
export async function runWithinLimits<DB, T>(
  db: Kysely<DB>,
  trx: Transaction<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  limits: CallLimits,
): Promise<T> {
  const setup = boundStatements(trx, remainingMs(limits));
  // Its failure fails fn's next statement as well; it is reported below instead of that one's.
  setup.catch(() => {});
  const signal = limits.signal;
  const onAbort = () => void setup.then((backend) => cancelBackend(db, backend)).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const result = await fn(signal === undefined ? trx : trx.withPlugin(refuseAfterAbort(signal)));
    await setup;
    return result;
  } catch (err) {
    await setup;
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

async function boundStatements<DB>(trx: Transaction<DB>, remaining: number | undefined): Promise<Backend> {
  // statement_timeout 0 means none: a deadline that has (just) passed still caps at 1 ms.
  const capMs = remaining === undefined ? undefined : Math.max(1, Math.ceil(remaining));
  const { rows } = await (capMs === undefined
    ? sql<Backend>`select pg_backend_pid() as pid, now()::text as started`
    : sql<Backend>`select pg_backend_pid() as pid, now()::text as started,
        set_config('statement_timeout',
          case when current_setting('statement_timeout')::interval = interval '0'
                 or current_setting('statement_timeout')::interval > ${capMs}::int * interval '1 millisecond'
               then ${String(capMs)}
               else current_setting('statement_timeout') end,
          true) as statement_timeout`
  ).execute(trx);
  const backend = rows[0];
  if (backend === undefined) throw new Error("pg_backend_pid() returned no row");
  return backend;
}

// Only while that backend still runs this transaction: once it has ended, the connection may already
// serve another caller, whose statement must not be cancelled. Over a connection of its own, not one of
// the pool's: a pool as small as its batches (the warehouse's reserve pool) has none free while the
// statement to cancel holds one.
async function cancelBackend<DB>(db: Kysely<DB>, backend: Backend): Promise<void> {
  const cancel = sql`select pg_cancel_backend(pid) from pg_stat_activity
    where pid = ${backend.pid} and xact_start = ${backend.started}::timestamptz and state = 'active'`;
  const pool = poolOf(db);
  if (pool === undefined) {
    await cancel.execute(db);
    return;
  }
  const { sql: text, parameters } = cancel.compile(db);
  const client = new pg.Client({
    ...pool.options,
    application_name: "stockroom-cancel",
    connectionTimeoutMillis: CANCEL_TIMEOUT_MS,
    statement_timeout: CANCEL_TIMEOUT_MS,
  });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(text, [...parameters]);
  } finally {
    await client.end();
  }
}

const CANCEL_TIMEOUT_MS = 2_000;

// Once the caller has gone, fn's next statement fails with the abort's reason instead of being sent.
function refuseAfterAbort(signal: AbortSignal): KyselyPlugin {
  return {
    transformQuery(args) {
      signal.throwIfAborted();
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}
