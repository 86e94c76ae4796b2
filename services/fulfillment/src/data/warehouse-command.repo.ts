// The pending warehouse commands: queued in the state change's transaction, claimed by the worker with
// FOR UPDATE SKIP LOCKED (several workers never take one command at once), marked after the call.
import { type Kysely, sql, type Transaction } from "@stockroom/db";
import type { WarehouseCommandKind } from "../domain/warehouse-command.ts";
import type { FulfillmentDatabase } from "./database.ts";

export interface NewWarehouseCommand {
  commandId: string;
  idempotencyKey: string;
  kind: WarehouseCommandKind;
  aggregateType: "fulfillment" | "return";
  aggregateId: string;
  payload: Record<string, unknown>;
}

export interface ClaimedCommand extends NewWarehouseCommand {
  attempts: number;
}

// A command already queued under the same key is left as it is (its movement is the same one).
export async function enqueueWarehouseCommand(
  trx: Transaction<FulfillmentDatabase>,
  command: NewWarehouseCommand,
  now: Date,
): Promise<void> {
  await trx
    .insertInto("warehouse_commands")
    .values({
      command_id: command.commandId,
      idempotency_key: command.idempotencyKey,
      kind: command.kind,
      aggregate_type: command.aggregateType,
      aggregate_id: command.aggregateId,
      payload: JSON.stringify(command.payload),
      next_attempt_at: now,
    })
    .onConflict((oc) => oc.column("idempotency_key").doNothing())
    .execute();
}

// Claims due commands: counts the attempt and pushes next_attempt_at out by the lease, in one statement
// that commits before any call is made. A worker that dies mid-call leaves the command to be claimed
// again after the lease; the warehouse's idempotency key makes the second call answer like the first.
export async function claimDueCommands(
  db: Kysely<FulfillmentDatabase>,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<ClaimedCommand[]> {
  const rows = await sql<{
    command_id: string;
    idempotency_key: string;
    kind: WarehouseCommandKind;
    aggregate_type: "fulfillment" | "return";
    aggregate_id: string;
    payload: Record<string, unknown>;
    attempts: number;
  }>`
    UPDATE warehouse_commands AS c
       SET attempts = c.attempts + 1,
           next_attempt_at = ${new Date(now.getTime() + leaseMs)}
      FROM (SELECT command_id FROM warehouse_commands
             WHERE status = 'pending' AND next_attempt_at <= ${now}
             ORDER BY next_attempt_at, created_at
             LIMIT ${limit}
             FOR UPDATE SKIP LOCKED) AS due
     WHERE c.command_id = due.command_id
    RETURNING c.command_id, c.idempotency_key, c.kind, c.aggregate_type, c.aggregate_id, c.payload, c.attempts`.execute(
    db,
  );
  return rows.rows.map((r) => ({
    commandId: r.command_id,
    idempotencyKey: r.idempotency_key,
    kind: r.kind,
    aggregateType: r.aggregate_type,
    aggregateId: r.aggregate_id,
    payload: r.payload,
    attempts: r.attempts,
  }));
}

// Marks a command sent, once: false when it was no longer pending (another worker finished it).
export async function markCommandSent(
  trx: Transaction<FulfillmentDatabase>,
  commandId: string,
  now: Date,
): Promise<boolean> {
  const row = await trx
    .updateTable("warehouse_commands")
    .set({ status: "sent", sent_at: now, last_error: null })
    .where("command_id", "=", commandId)
    .where("status", "=", "pending")
    .returning("command_id")
    .executeTakeFirst();
  return row !== undefined;
}

export async function markCommandAttemptFailed(
  db: Kysely<FulfillmentDatabase>,
  commandId: string,
  outcome: { status: "pending"; nextAttemptAt: Date } | { status: "failed" },
  error: string,
): Promise<void> {
  await db
    .updateTable("warehouse_commands")
    .set({
      status: outcome.status,
      last_error: error.slice(0, 2000),
      ...(outcome.status === "pending" && { next_attempt_at: outcome.nextAttemptAt }),
    })
    .where("command_id", "=", commandId)
    .where("status", "=", "pending")
    .execute();
}
