// What every use case is built with (wired by hand in main.ts).
import { type TransactionalDeps, transactionalDeps } from "@stockroom/db";
import type { CallLimits } from "@stockroom/errors";
import type { EventContext } from "@stockroom/outbox";
import type { Kysely } from "kysely";
import type { WarehouseDatabase } from "../data/database.ts";
import type { WarehouseMetrics } from "../warehouse-metrics.ts";

export interface UseCaseDeps extends TransactionalDeps<WarehouseDatabase> {
  metrics?: WarehouseMetrics | undefined;
}

export function createUseCaseDeps(
  db: Kysely<WarehouseDatabase>,
  options: { clock?: () => Date; metrics?: WarehouseMetrics } = {},
): UseCaseDeps {
  return { ...transactionalDeps(db, options.clock), metrics: options.metrics };
}

// Who asks (the ledger's actor), whose idempotency keys these are, the ids the events carry, and how
// long the caller waits (its deadline and abort signal: pass the context to deps.transaction).
export interface RequestContext extends EventContext, CallLimits {
  actor: string;
  // The authenticated caller that scopes idempotency keys (SYSTEM_PRINCIPAL for the service's workers).
  principal: string;
}
