// A product as stored in an idempotency record (JSON has no bigint and no Date).
import type { Product } from "../../domain/product.ts";

type ProductJson = Omit<Product, "price" | "createdAt" | "updatedAt"> & {
  price: { amountMinor: string; currency: string };
  createdAt: string;
  updatedAt: string;
};

export const productJsonCodec = {
  toJson(product: Product): ProductJson {
    return {
      ...product,
      price: { amountMinor: product.price.amountMinor.toString(), currency: product.price.currency },
      createdAt: product.createdAt.toISOString(),
      updatedAt: product.updatedAt.toISOString(),
    };
  },
  fromJson(json: unknown): Product {
    const stored = json as ProductJson;
    return {
      ...stored,
      price: { amountMinor: BigInt(stored.price.amountMinor), currency: stored.price.currency },
      createdAt: new Date(stored.createdAt),
      updatedAt: new Date(stored.updatedAt),
    };
  },
};
