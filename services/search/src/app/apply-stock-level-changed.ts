// Applies one warehouse stock level (a StockLevelChanged event's) to the index, in the consumer's
// transaction: the per-warehouse level moves only forward, the sku's sum is recomputed under its row
// lock, and when the sum changed the engine gets it with the next stock sequence number. A fully reserved
// level counts 0, so a sku with nothing available anywhere is out of stock.
import type { Transaction } from "kysely";
import type { SearchDatabase } from "../data/database.ts";
import { lockSkuStock, recomputeSkuStock, upsertLevelIfNewer } from "../data/stock.repo.ts";
import type { WarehouseLevel } from "../domain/stock-level.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export type StockApplyOutcome =
  | { outcome: "applied"; sku: string; available: number }
  // The stored level is as new or newer (duplicate or overtaken event).
  | { outcome: "stale"; sku: string }
  // A newer level with the same sum: nothing for the engine.
  | { outcome: "unchanged"; sku: string };

export function applyStockLevelChangedUseCase(deps: Pick<UseCaseDeps, "engine">) {
  return async function applyStockLevelChanged(
    trx: Transaction<SearchDatabase>,
    level: WarehouseLevel,
  ): Promise<StockApplyOutcome> {
    const sku = level.sku;
    await lockSkuStock(trx, [sku]);
    if (!(await upsertLevelIfNewer(trx, level))) return { outcome: "stale", sku };
    const { stock, changed } = await recomputeSkuStock(trx, sku);
    if (!changed) return { outcome: "unchanged", sku };
    // "missing" (no product document yet) is fine: the product's upsert reads this sum.
    await deps.engine.updateStock([{ sku, available: stock.available, stockVersion: stock.stockVersion }]);
    return { outcome: "applied", sku, available: stock.available };
  };
}
