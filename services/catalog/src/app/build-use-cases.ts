// Every catalog use case, built once from the same deps: main.ts serves these, and the tests call these,
// so what is tested is what runs. Grouped by caller: CatalogService, CatalogAdminService and the
// warehouse stock events consumer and the review rating events consumer. (The product cache's loader, loadProductViewsUseCase, is built
// before the cache these reads go through.)
import {
  archiveProductUseCase,
  changePriceUseCase,
  createProductUseCase,
  updateProductUseCase,
} from "./admin/product-commands.ts";
import { applyRatingSummaryChangedUseCase } from "./apply-rating-summary-changed.ts";
import { applyStockLevelChangedUseCase } from "./apply-stock-level-changed.ts";
import {
  batchGetProductsUseCase,
  getProductUseCase,
  listProductsUseCase,
  type ProductViewSource,
} from "./read-products.ts";
import { type FetchStockLevels, rebuildAvailabilityUseCase } from "./rebuild-availability.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface UseCaseSettings {
  // Where reads get product views: the product cache, or the database when the cache is off.
  products: ProductViewSource;
  // The warehouse's BatchGetStock; without it RebuildAvailability answers UNAVAILABLE.
  fetchStockLevels?: FetchStockLevels | undefined;
}

export function buildUseCases(deps: UseCaseDeps, settings: UseCaseSettings) {
  return {
    catalog: {
      getProduct: getProductUseCase(settings.products),
      batchGetProducts: batchGetProductsUseCase(settings.products),
      listProducts: listProductsUseCase(deps, settings.products),
    },
    admin: {
      createProduct: createProductUseCase(deps),
      updateProduct: updateProductUseCase(deps),
      archiveProduct: archiveProductUseCase(deps),
      changePrice: changePriceUseCase(deps),
      rebuildAvailability: rebuildAvailabilityUseCase(deps, settings.fetchStockLevels),
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
export type CatalogUseCases = UseCases["catalog"];
export type CatalogAdminUseCases = UseCases["admin"];
