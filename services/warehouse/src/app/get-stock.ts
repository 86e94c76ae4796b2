// Stock queries: every level of the asked skus (optionally one warehouse) and their totals.

import { findStockLevels, type StockLevelRow } from "../data/stock.repo.ts";
import { availableQuantity } from "../domain/stock-level.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface SkuStock {
  sku: string;
  levels: StockLevelRow[];
  totalOnHand: number;
  totalAvailable: number;
}

export function getStockUseCase(deps: UseCaseDeps) {
  return async function getStock(skus: string[], warehouseCode?: string): Promise<SkuStock[]> {
    const levels = await findStockLevels(deps.db, skus, warehouseCode);
    return skus.map((sku) => {
      const own = levels.filter((level) => level.sku === sku);
      return {
        sku,
        levels: own,
        totalOnHand: own.reduce((sum, level) => sum + level.onHand, 0),
        totalAvailable: own.reduce((sum, level) => sum + availableQuantity(level), 0),
      };
    });
  };
}
