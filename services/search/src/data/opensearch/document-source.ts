// A search document as OpenSearch stores it (_source), and back. Field names follow index-mapping.ts.
import type { ProductStatus, SearchDocument, StoredDocument } from "../../domain/search-document.ts";

export interface DocumentSource {
  sku: string;
  name: string;
  description: string;
  brand: string;
  category_path: string;
  category_ancestors: string[];
  category_words: string;
  attributes: Record<string, string[]>;
  attribute_pairs: string[];
  attribute_words: string;
  status: ProductStatus;
  price_minor: number;
  currency: string;
  product_version: number;
  created_at: number;
  available: number;
  in_stock: boolean;
  stock_version: number;
  rating_average: number;
  rating_count: number;
  rating_version: number;
}

// What a document without a rating holds (as the PostgreSQL engine): every real rating version is newer.
export const NO_RATING_VERSION = 0;

// "apparel/shoes/running" -> ["apparel", "apparel/shoes", "apparel/shoes/running"].
export function categoryAncestors(path: string): string[] {
  const segments = path.split("/").filter((segment) => segment !== "");
  return segments.map((_, i) => segments.slice(0, i + 1).join("/"));
}

export function attributePair(name: string, value: string): string {
  return `${name}=${value}`;
}

export function toSource(document: SearchDocument): DocumentSource {
  const { product, stock, rating } = document;
  const attributes = Object.fromEntries(Object.entries(product.attributes).map(([k, v]) => [k, [...v]]));
  const segments = product.categoryPath.split("/").filter((segment) => segment !== "");
  return {
    sku: product.sku,
    name: product.name,
    description: product.description,
    brand: product.brand,
    category_path: product.categoryPath,
    category_ancestors: categoryAncestors(product.categoryPath),
    category_words: segments.at(-1) ?? "",
    attributes,
    attribute_pairs: Object.entries(attributes).flatMap(([k, values]) =>
      values.map((v) => attributePair(k, v)),
    ),
    attribute_words: Object.values(attributes).flat().join(" "),
    status: product.status,
    price_minor: product.price.amountMinor,
    currency: product.price.currency,
    product_version: product.productVersion,
    created_at: product.createdAt.getTime(),
    ...stockSource(stock.available, stock.stockVersion),
    rating_average: rating?.average ?? 0,
    rating_count: rating?.count ?? 0,
    rating_version: rating?.ratingVersion ?? NO_RATING_VERSION,
  };
}

export function stockSource(
  available: number,
  stockVersion: number,
): Pick<DocumentSource, "available" | "in_stock" | "stock_version"> {
  const units = Math.max(0, available);
  return { available: units, in_stock: units > 0, stock_version: stockVersion };
}

export function fromSource(source: DocumentSource): StoredDocument {
  return {
    product: {
      sku: source.sku,
      name: source.name,
      description: source.description,
      brand: source.brand,
      categoryPath: source.category_path,
      attributes: source.attributes,
      status: source.status,
      price: { amountMinor: source.price_minor, currency: source.currency },
      productVersion: source.product_version,
      createdAt: new Date(source.created_at),
    },
    stock: { available: source.available, stockVersion: source.stock_version },
    rating:
      source.rating_version === NO_RATING_VERSION
        ? undefined
        : {
            average: source.rating_average,
            count: source.rating_count,
            ratingVersion: source.rating_version,
          },
    inStock: source.in_stock,
  };
}

// The guarded merge of an incoming document into the stored one: each part moves only to a newer
// version. Returns undefined when nothing is newer (the write is stale).
export function mergeDocument(
  stored: DocumentSource | undefined,
  incoming: SearchDocument,
): DocumentSource | undefined {
  const next = toSource(incoming);
  if (stored === undefined) return next;
  const productNewer = next.product_version > stored.product_version;
  const stockNewer = next.stock_version > stored.stock_version;
  const ratingNewer = next.rating_version > stored.rating_version;
  if (!productNewer && !stockNewer && !ratingNewer) return undefined;
  const merged: DocumentSource = productNewer ? { ...next } : { ...stored };
  const stockFrom = stockNewer ? next : stored;
  const ratingFrom = ratingNewer ? next : stored;
  return {
    ...merged,
    available: stockFrom.available,
    in_stock: stockFrom.in_stock,
    stock_version: stockFrom.stock_version,
    rating_average: ratingFrom.rating_average,
    rating_count: ratingFrom.rating_count,
    rating_version: ratingFrom.rating_version,
  };
}
