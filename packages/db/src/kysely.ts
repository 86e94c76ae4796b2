// Kysely over a pg pool. Repository functions take an Executor so the use case decides the transaction.
import { createHash } from "node:crypto";
import {
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type RawBuilder,
  sql,
  type Transaction,
} from "kysely";
import type pg from "pg";
import type { Pool } from "./pool.ts";

/** What repository functions accept: the database, or the transaction a use case opened. */
export type Executor<DB> = Kysely<DB> | Transaction<DB>;

export function createDb<DB>(pool: Pool): Kysely<DB> {
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  pools.set(db, pool);
  return db;
}

const pools = new WeakMap<object, Pool>();

/** The pool a createDb instance runs on (undefined for other Kysely instances). */
export function poolOf(db: object): Pool | undefined {
  return pools.get(db);
}

const PREPARED_MARKER = "/* prepared */ ";

/**
 * Runs `statement` as a named prepared statement: each pooled connection parses and plans it once, then
 * only binds and executes it. For the few large statements on hot paths whose planning costs more than
 * their execution (a batch write of a dozen CTEs). The text must come from code, not from data: every
 * distinct text is one more statement kept by every connection.
 */
export function prepared<T>(statement: RawBuilder<T>): RawBuilder<T> {
  return sql<T>`${sql.raw(PREPARED_MARKER)}${statement}`;
}

const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `stockroom_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

const TRANSACTION_START = /^(begin|start transaction)\b/;

// Kysely talks to pg through this pool:
// - marked statements go out with a name (node-postgres then sends Parse once per connection);
// - a transaction's BEGIN is not waited for: node-postgres sends the transaction's first statement as soon
//   as BEGIN completes, from its own socket handler, and that statement's result waits for BEGIN's, so a
//   failed BEGIN still fails the transaction. A transaction costs one trip through the event loop less.
function preparingPool(pool: Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    options: pool.options,
    async connect() {
      const client = await pool.connect();
      let facade = wrapped.get(client);
      if (facade === undefined) {
        // Kysely passes either SQL text with its parameters, or a cursor (streaming).
        let begun: Promise<unknown> | undefined;
        const query = (textOrCursor: unknown, values?: readonly unknown[]): unknown => {
          if (typeof textOrCursor !== "string") return client.query(textOrCursor as pg.Submittable);
          const text = textOrCursor;
          if (TRANSACTION_START.test(text)) {
            begun = client.query(text);
            // Observed by the next statement; a rejection must not go unhandled meanwhile.
            begun.catch(() => undefined);
            return Promise.resolve({ command: "BEGIN", rowCount: null, rows: [] });
          }
          const result = text.startsWith(PREPARED_MARKER)
            ? client.query({ name: statementName(text), text, values: values as unknown[] })
            : client.query(text, values as unknown[]);
          if (begun === undefined) return result;
          const start = begun;
          begun = undefined;
          return Promise.all([start, result]).then(([, answer]) => answer);
        };
        // A checked-out client whose connection breaks (a terminated backend, a restarted server) emits
        // "error" on itself as well as failing the statement in flight; pg-pool only listens while the client
        // is idle, and an unheard "error" event ends the process. The statement's own failure reports it,
        // and the pool drops the broken client when it is released.
        client.on("error", () => undefined);
        facade = {
          query: query as PostgresPoolClient["query"],
          release: (destroy?: boolean) => client.release(destroy),
        };
        wrapped.set(client, facade);
      }
      return facade;
    },
    end: () => pool.end(),
  };
}
