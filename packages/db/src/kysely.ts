// Kysely over a pg pool. Repository functions take an Executor so the use case decides the transaction.
import { Kysely, PostgresDialect, type Transaction } from "kysely";
import type { Pool } from "./pool.ts";

/** What repository functions accept: the database, or the transaction a use case opened. */
export type Executor<DB> = Kysely<DB> | Transaction<DB>;

export function createDb<DB>(pool: Pool): Kysely<DB> {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
