// What a storefront reads: a product with its availability, taken from one snapshot. The projection
// version grows with every change of either (product version + each warehouse row's level version), so
// caches can tell an older view from a newer one.
import type { Availability } from "./availability.ts";
import type { Product } from "./product.ts";

export interface ProductView {
  product: Product;
  availability: Availability;
}

export function projectionVersionOf(view: ProductView): number {
  let version = view.product.version;
  for (const row of view.availability.warehouses) version += row.levelVersion;
  return version;
}
