// The kysely type of the idempotency_records table every service keeps in its own schema (the README
// gives the migration that creates it). A service's database type extends IdempotencyDatabase.
import type { ColumnType } from "kysely";

export interface IdempotencyRecordsTable {
  // Who sent the key: the token's subject (or tenant), or SYSTEM_PRINCIPAL for the service's own workers.
  principal: string;
  operation: string;
  idempotency_key: string;
  fingerprint: string;
  // The stored answer as JSON; 'null' while the claiming transaction runs.
  response: ColumnType<unknown, string | undefined, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
  expires_at: Date;
}

export interface IdempotencyDatabase {
  idempotency_records: IdempotencyRecordsTable;
}
