// What a storefront reads: a product with its availability, taken from one snapshot. The projection
// version grows with every change of any (product version + each warehouse row's level version + the
// rating summary version), so
// caches can tell an older view from a newer one.
import type { Availability } from "./availability.ts";
import type { Product } from "./product.ts";
import type { ProductRating } from "./product-rating.ts";

export interface ProductView {
  product: Product;
  availability: Availability;
  // From the review service's events; absent until the sku has rating figures.
  rating?: ProductRating | undefined;
}

export function projectionVersionOf(view: ProductView): number {
  let version = view.product.version;
  for (const row of view.availability.warehouses) version += row.levelVersion;
  return version + (view.rating?.summaryVersion ?? 0);
}
