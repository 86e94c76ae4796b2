// Recovery: re-reads the named skus' (or every product's) stock levels from the warehouse and writes
// them into the projection through the same newer-version-only upsert as the consumer, so a rebuild
// racing live events can never move a row backwards.
import { unavailable } from "@stockroom/errors";
import { upsertLevelIfNewer } from "../data/availability.repo.ts";
import { projectionVersion } from "../data/product-view.repo.ts";
import type { WarehouseAvailability } from "../domain/availability.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface WarehouseStockLevel extends WarehouseAvailability {
  sku: string;
}

// The warehouse's BatchGetStock, behind a function so tests and main.ts decide how it is reached.
export type FetchStockLevels = (skus: readonly string[]) => Promise<WarehouseStockLevel[]>;

const REBUILD_BATCH = 100;

export function createRebuildAvailability(deps: UseCaseDeps, fetchStockLevels: FetchStockLevels | undefined) {
  return async function rebuildAvailability(
    skus: readonly string[],
  ): Promise<{ skusRebuilt: number; rowsWritten: number }> {
    if (!fetchStockLevels)
      throw unavailable("no warehouse address is configured for rebuilding availability");
    const targets = skus.length > 0 ? [...new Set(skus)] : await allSkus(deps);
    let rowsWritten = 0;
    for (let start = 0; start < targets.length; start += REBUILD_BATCH) {
      const batch = targets.slice(start, start + REBUILD_BATCH);
      const levels = await fetchStockLevels(batch);
      const touched = await deps.transaction(async (trx) => {
        const changed = new Set<string>();
        for (const level of levels) {
          if (await upsertLevelIfNewer(trx, level)) {
            rowsWritten++;
            changed.add(level.sku);
          }
        }
        return Promise.all(
          [...changed].map(async (sku) => ({ sku, version: await projectionVersion(trx, sku) })),
        );
      });
      for (const { sku, version } of touched) await deps.cache?.invalidate(sku, version);
    }
    return { skusRebuilt: targets.length, rowsWritten };
  };
}

async function allSkus(deps: UseCaseDeps): Promise<string[]> {
  const rows = await deps.db.selectFrom("products").select("sku").orderBy("sku").execute();
  return rows.map((row) => row.sku);
}
