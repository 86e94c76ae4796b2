// What every catalog use case is built with (wired by hand in main.ts).
import { type TransactionalDeps, transactionalDeps } from "@stockroom/db";
import type { CallLimits } from "@stockroom/errors";
import type { EventContext } from "@stockroom/outbox";
import type { Kysely } from "kysely";
import type { CatalogDatabase } from "../data/database.ts";

// The part of the product cache the write side needs: tell it the projection moved to a version.
export interface ProductCacheInvalidator {
  invalidate(sku: string, projectionVersion: number): Promise<boolean>;
}

export interface UseCaseDeps extends TransactionalDeps<CatalogDatabase> {
  cache?: ProductCacheInvalidator | undefined;
}

export function createUseCaseDeps(
  db: Kysely<CatalogDatabase>,
  options: { clock?: () => Date; cache?: ProductCacheInvalidator } = {},
): UseCaseDeps {
  return { ...transactionalDeps(db, options.clock), cache: options.cache };
}

// Who asks, whose idempotency keys these are, the ids the events carry, and how long the caller waits
// (its deadline and abort signal: pass the context to deps.transaction and to downstream calls).
export interface RequestContext extends EventContext, CallLimits {
  actor: string;
  // The authenticated caller that scopes idempotency keys.
  principal: string;
}
