// Where a rebuild reads from: the catalog's active products page by page and the warehouse's levels for
// a page's skus (their gRPC adapters are in transport/grpc).
import type { ProductFields } from "../../domain/search-document.ts";
import type { WarehouseLevel } from "../../domain/stock-level.ts";

export interface CatalogProductPage {
  products: ProductFields[];
  // "" on the last page.
  nextPageToken: string;
}

export interface RebuildSources {
  listProducts(pageToken: string, pageSize: number): Promise<CatalogProductPage>;
  fetchLevels(skus: readonly string[]): Promise<WarehouseLevel[]>;
}
