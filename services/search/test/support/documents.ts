// Search documents for engine tests: a product with defaults for everything a test does not care about.
import type { ProductFields, SearchDocument } from "../../src/domain/search-document.ts";

export interface DocumentOverrides extends Partial<Omit<ProductFields, "price">> {
  priceMinor?: number;
  available?: number;
  stockVersion?: number;
  rating?: { average: number; count: number; ratingVersion: number };
}

let created = Date.parse("2026-01-01T00:00:00.000Z");

export function documentOf(sku: string, overrides: DocumentOverrides = {}): SearchDocument {
  const { priceMinor, available, stockVersion, rating, ...product } = overrides;
  created += 60_000;
  return {
    product: {
      sku,
      name: `Product ${sku}`,
      description: "",
      brand: "Generic",
      categoryPath: "misc",
      attributes: {},
      status: "active",
      price: { amountMinor: priceMinor ?? 1_000, currency: "EUR" },
      productVersion: 1,
      createdAt: new Date(created),
      ...product,
    },
    stock: { available: available ?? 0, stockVersion: stockVersion ?? (available === undefined ? 0 : 1) },
    ...(rating && { rating }),
  };
}
