// Storefront reads: product views through the cache (when one is configured), loaded from one snapshot
// of the database on a miss.
import { ErrorReason, notFound } from "@stockroom/errors";
import { listProductSkus } from "../data/product.repo.ts";
import { findProductViews } from "../data/product-view.repo.ts";
import { availabilityFrom } from "../domain/availability.ts";
import type { ProductStatus } from "../domain/product.ts";
import type { ProductView } from "../domain/product-view.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface ProductViewSource {
  getMany(skus: readonly string[]): Promise<Map<string, ProductView>>;
}

// The database loader (also the cache's loader): every view of one call is read by one statement.
export function loadProductViewsUseCase(deps: Pick<UseCaseDeps, "db" | "clock">) {
  return async function loadProductViews(skus: readonly string[]): Promise<Map<string, ProductView>> {
    const rows = await findProductViews(deps.db, skus);
    const asOf = deps.clock();
    return new Map(
      rows.map((row) => [
        row.product.sku,
        { product: row.product, availability: availabilityFrom(row.levels, asOf), rating: row.rating },
      ]),
    );
  };
}

export function getProductUseCase(source: ProductViewSource) {
  return async function getProduct(sku: string): Promise<ProductView> {
    const view = (await source.getMany([sku])).get(sku);
    if (!view) throw notFound(ErrorReason.PRODUCT_NOT_FOUND, `product ${sku} not found`, { sku });
    return view;
  };
}

export function batchGetProductsUseCase(source: ProductViewSource) {
  return async function batchGetProducts(
    skus: readonly string[],
  ): Promise<{ products: ProductView[]; missingSkus: string[] }> {
    const views = await source.getMany(skus);
    const products: ProductView[] = [];
    const missingSkus: string[] = [];
    for (const sku of new Set(skus)) {
      const view = views.get(sku);
      if (view) products.push(view);
      else missingSkus.push(sku);
    }
    return { products, missingSkus };
  };
}

export interface ListProductsQuery {
  category?: string | undefined;
  brand?: string | undefined;
  status: ProductStatus;
  inStockOnly: boolean;
  afterSku?: string | undefined;
  pageSize: number;
}

export function listProductsUseCase(deps: Pick<UseCaseDeps, "db">, source: ProductViewSource) {
  return async function listProducts(
    query: ListProductsQuery,
  ): Promise<{ products: ProductView[]; lastSku: string | undefined; more: boolean }> {
    // One row more than the page says whether another page exists.
    const skus = await listProductSkus(deps.db, {
      category: query.category,
      brand: query.brand,
      status: query.status,
      inStockOnly: query.inStockOnly,
      afterSku: query.afterSku,
      limit: query.pageSize + 1,
    });
    const page = skus.slice(0, query.pageSize);
    const views = await source.getMany(page);
    const products = page.flatMap((sku) => {
      const view = views.get(sku);
      return view ? [view] : [];
    });
    return { products, lastSku: page.at(-1), more: skus.length > query.pageSize };
  };
}
