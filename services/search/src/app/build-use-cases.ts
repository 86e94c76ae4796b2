// Every search use case, built once from the same deps: main.ts serves these, and the tests call these,
// so what is tested is what runs. Grouped by caller: SearchService, SearchAdminService and the three
// event consumers.
import { applyPriceChangedUseCase, applyProductChangedUseCase } from "./apply-catalog-events.ts";
import { applyRatingSummaryChangedUseCase } from "./apply-rating-summary-changed.ts";
import { applyStockLevelChangedUseCase } from "./apply-stock-level-changed.ts";
import { type RebuildSettings, rebuildIndexUseCase } from "./rebuild-index.ts";
import { searchProductsUseCase, suggestProductsUseCase } from "./search-products.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface UseCaseSettings {
  priceBucketBounds: number[];
  rebuild: RebuildSettings;
}

export function buildUseCases(deps: UseCaseDeps, settings: UseCaseSettings) {
  return {
    search: {
      searchProducts: searchProductsUseCase(deps.engine, { priceBucketBounds: settings.priceBucketBounds }),
      suggestProducts: suggestProductsUseCase(deps.engine),
    },
    admin: rebuildIndexUseCase(deps, settings.rebuild),
    catalogEvents: {
      applyProductChanged: applyProductChangedUseCase(deps),
      applyPriceChanged: applyPriceChangedUseCase(deps),
    },
    stockEvents: {
      applyStockLevelChanged: applyStockLevelChangedUseCase(deps),
    },
    ratingEvents: {
      applyRatingSummaryChanged: applyRatingSummaryChangedUseCase(deps),
    },
  };
}

export type UseCases = ReturnType<typeof buildUseCases>;
export type SearchUseCases = UseCases["search"];
export type SearchAdminUseCases = UseCases["admin"];
export type CatalogEventUseCases = UseCases["catalogEvents"];
export type StockEventUseCases = UseCases["stockEvents"];
export type RatingEventUseCases = UseCases["ratingEvents"];
