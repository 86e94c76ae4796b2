// Recovery: re-reads the named skus' (or every product's) stock levels from the warehouse and makes the
// projection's rows of each sku the warehouse's answer. Levels are written through the same
// newer-version-only upsert as the consumer, so a rebuild racing live events can never move a row
// backwards; rows of warehouses the answer no longer holds are deleted in the same transaction, except
// those applied after the rebuild asked (a live event may have brought a level newer than the answer).
// A rebuild spans many transactions and warehouse calls, so its idempotency key is held by a lease while
// it runs (runLeasedIdempotent): a retry after it ends replays its answer, a second call while it runs is
// refused with ABORTED (see RebuildAvailabilityRequest in the proto).
import { type CallLimits, throwIfStopped, unavailable } from "@stockroom/errors";
import { fingerprintOf, runLeasedIdempotent } from "@stockroom/idempotency";
import { databaseNow, deleteLevelsNotIn, upsertLevelIfNewer } from "../data/availability.repo.ts";
import { listAllSkus } from "../data/product.repo.ts";
import { projectionVersion } from "../data/product-view.repo.ts";
import type { WarehouseStockLevel } from "../domain/availability.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

// The warehouse's BatchGetStock, behind a function so tests and main.ts decide how it is reached. The
// call is made within the limits of the caller it is made for (its remaining deadline, its signal).
export type FetchStockLevels = (
  skus: readonly string[],
  limits?: CallLimits,
) => Promise<WarehouseStockLevel[]>;

export interface RebuildResult {
  skusRebuilt: number;
  rowsWritten: number;
  rowsRemoved: number;
}

export interface RebuildAvailabilityCommand {
  idempotencyKey: string;
  // Empty: every product.
  skus: readonly string[];
}

const REBUILD_BATCH = 100;

export function rebuildAvailabilityUseCase(
  deps: UseCaseDeps,
  fetchStockLevels: FetchStockLevels | undefined,
) {
  // lease aborts when the run loses its key's lease to another run: it stops between batches. It stops
  // too when its caller goes (ctx), and each warehouse call and transaction has the caller's time left.
  async function rebuild(
    fetchLevels: FetchStockLevels,
    skus: readonly string[],
    lease: AbortSignal,
    ctx: RequestContext,
  ): Promise<RebuildResult> {
    const targets = skus.length > 0 ? [...new Set(skus)] : await listAllSkus(deps.db);
    let rowsWritten = 0;
    let rowsRemoved = 0;
    for (let start = 0; start < targets.length; start += REBUILD_BATCH) {
      lease.throwIfAborted();
      throwIfStopped(ctx);
      const batch = targets.slice(start, start + REBUILD_BATCH);
      // Read on the database's clock, which also stamps applied_at, before the warehouse is asked.
      const askedAt = await databaseNow(deps.db);
      const levels = await fetchLevels(batch, ctx);
      const invalidations = await deps.transaction(async (trx) => {
        const changed = new Set<string>();
        for (const level of levels) {
          if (await upsertLevelIfNewer(trx, level)) {
            rowsWritten++;
            changed.add(level.sku);
          }
        }
        const removed = await deleteLevelsNotIn(trx, batch, levels, askedAt);
        rowsRemoved += removed.length;
        const removedVersions = new Map<string, number>();
        for (const row of removed) {
          removedVersions.set(row.sku, (removedVersions.get(row.sku) ?? 0) + row.levelVersion);
          changed.add(row.sku);
        }
        return Promise.all(
          [...changed].map(async (sku) => {
            const version = await projectionVersion(trx, sku);
            const removedVersion = removedVersions.get(sku);
            // The projection version sums the rows' level versions, so a deleted row lowers it: a cached
            // view from before (at most `version + removedVersion`) would look newer than the fresh one.
            // A tombstone just above that refuses every view until it expires (readers go to the
            // database meanwhile); after it, the fresh view is cached again.
            return { sku, version: removedVersion === undefined ? version : version + removedVersion + 1 };
          }),
        );
      }, ctx);
      for (const { sku, version } of invalidations) await deps.cache?.invalidate(sku, version);
    }
    return { skusRebuilt: targets.length, rowsWritten, rowsRemoved };
  }

  return async function rebuildAvailability(
    command: RebuildAvailabilityCommand,
    ctx: RequestContext,
  ): Promise<RebuildResult> {
    const fetchLevels = fetchStockLevels;
    if (!fetchLevels) throw unavailable("no warehouse address is configured for rebuilding availability");
    return runLeasedIdempotent(
      deps.db,
      {
        principal: ctx.principal,
        operation: "rebuild_availability",
        key: command.idempotencyKey,
        // The same skus in another order or repeated are the same request.
        fingerprint: fingerprintOf({ skus: [...new Set(command.skus)].sort() }),
      },
      (lease) => rebuild(fetchLevels, command.skus, lease, ctx),
    );
  };
}
