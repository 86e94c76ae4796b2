// What the order service asks the catalog: products (name, status, price) with their availability.
// The adapter (transport/grpc/catalog.client.ts) goes through a circuit breaker; when the catalog cannot
// answer, lookups answer from the last figures seen, marked stale with their time (ORD-P0-03), or
// `known: false` when nothing was ever seen — never "out of stock".
import type { Money } from "../domain/money.ts";

export type ProductStatus = "draft" | "active" | "archived";

export interface ProductInfo {
  sku: string;
  name: string;
  status: ProductStatus;
  price: Money;
  // Units available over every warehouse, and per warehouse code.
  totalAvailable: number;
  availableByWarehouse: Record<string, number>;
  asOf: Date;
  // True when the figure is the last one seen, not a fresh answer.
  stale: boolean;
}

export interface ProductLookup {
  products: ProductInfo[];
  // Skus the catalog does not know (only when it answered).
  missing: string[];
  // False when the catalog did not answer and nothing was known for some skus (they are in neither list).
  answered: boolean;
}

export interface CatalogPort {
  // For reads (the cart view): falls back to last-seen figures when the catalog is down.
  lookupProducts(skus: readonly string[]): Promise<ProductLookup>;
  // For decisions (add to cart, the checkout's price snapshot): fresh or UNAVAILABLE, never stale.
  fetchProducts(skus: readonly string[]): Promise<Omit<ProductLookup, "answered">>;
}
