// Applies one warehouse stock level (a StockLevelChanged event's, decoded by the stock events consumer)
// to the availability projection. The per-warehouse row moves only forward (newer level version), so
// duplicates and out-of-order deliveries change nothing; totals are summed at read time. Runs in the
// consumer's transaction, next to its event_processing_log row.
import type { Transaction } from "kysely";
import { upsertLevelIfNewer } from "../data/availability.repo.ts";
import type { CatalogDatabase } from "../data/database.ts";
import { projectionVersion } from "../data/product-view.repo.ts";
import type { WarehouseStockLevel } from "../domain/availability.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export type StockApplyOutcome =
  | { outcome: "applied"; sku: string; projectionVersion: number }
  // The stored row is as new or newer (duplicate or overtaken event).
  | { outcome: "stale"; sku: string };

export function applyStockLevelChangedUseCase(deps: Pick<UseCaseDeps, "cache">) {
  return async function applyStockLevelChanged(
    trx: Transaction<CatalogDatabase>,
    level: WarehouseStockLevel,
  ): Promise<StockApplyOutcome> {
    const sku = level.sku;
    const written = await upsertLevelIfNewer(trx, level);
    if (!written) return { outcome: "stale", sku };
    const version = await projectionVersion(trx, sku);
    // Before commit on purpose: the tombstone at the new version refuses every older view from then on,
    // including one a reader loads between now and the commit. If the transaction rolls back, the
    // tombstone only costs cache misses until it expires.
    await deps.cache?.invalidate(sku, version);
    return { outcome: "applied", sku, projectionVersion: version };
  };
}
