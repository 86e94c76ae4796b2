// The engine-agnostic search document and query types: what the service hands to a search engine (the
// PostgreSQL one or OpenSearch) and what it gets back. Plain data, no I/O.

export type ProductStatus = "draft" | "active" | "archived";

export interface Price {
  amountMinor: number;
  currency: string;
}

// The product part of a document, from the catalog (its events or its API). Replaced as a whole when a
// newer product version arrives.
export interface ProductFields {
  sku: string;
  name: string;
  description: string;
  brand: string;
  // Slash separated, most general first ("apparel/shoes/running").
  categoryPath: string;
  // Attribute values as text (numbers and booleans stringified; an array gives several values).
  attributes: Record<string, string[]>;
  status: ProductStatus;
  price: Price;
  // The catalog's product version: a document's product part only ever moves to a newer one.
  productVersion: number;
  // When the product was created in the catalog (the "newest" sort).
  createdAt: Date;
}

// The stock part: available units summed over warehouses (after reservations and commitments).
export interface StockFields {
  available: number;
  // The service's per-sku stock sequence (search.sku_stock.stock_version): only a newer one is applied.
  stockVersion: number;
}

export interface RatingFields {
  average: number;
  count: number;
  // The rating aggregate's version from the review service: only a newer one is applied.
  ratingVersion: number;
}

export interface SearchDocument {
  product: ProductFields;
  stock: StockFields;
  rating?: RatingFields | undefined;
}

// A document as stored, for reads by sku (tests, rebuild checks).
export interface StoredDocument extends SearchDocument {
  inStock: boolean;
}

export interface StockUpdate {
  sku: string;
  available: number;
  stockVersion: number;
}

export interface PriceUpdate {
  sku: string;
  price: Price;
  // The product version of the price change; the document's productVersion moves to it.
  productVersion: number;
}

export interface RatingUpdate extends RatingFields {
  sku: string;
}

// What a guarded write did to one document.
export type WriteOutcome = "applied" | "stale" | "missing";

export type SortOrder = "relevance" | "price_asc" | "price_desc" | "newest" | "rating";

export const FACET_NAMES = ["category", "brand", "price", "in_stock"] as const;
export type FacetName = (typeof FACET_NAMES)[number];

export interface AttributeFilter {
  name: string;
  values: string[];
}

export interface SearchFilters {
  // Whole path segments: "apparel" matches "apparel" and "apparel/shoes", not "apparels".
  categoryPathPrefix?: string | undefined;
  // Lower-case compared; empty means any.
  brands: string[];
  priceMinMinor?: number | undefined;
  priceMaxMinor?: number | undefined;
  inStockOnly: boolean;
  attributes: AttributeFilter[];
}

// Where a page ends, in the engine's own sort values (the service wraps it into an opaque page token).
export type SortKey = readonly (string | number)[];

export interface SearchQuery {
  // Websearch syntax; "" browses the filtered products (relevance then sorts as newest).
  text: string;
  filters: SearchFilters;
  sort: SortOrder;
  pageSize: number;
  // The previous page's nextAfter, for the same text, filters and sort.
  after?: SortKey | undefined;
  facets: FacetName[];
  // Ascending bucket boundaries in minor units for the price facet: [0, b1), [b1, b2), ..., [bn, ∞).
  priceBucketBounds: number[];
}

export interface Highlight {
  field: "name" | "description";
  // Matched words between <em> and </em>, the rest HTML-escaped.
  fragments: string[];
}

export interface SearchHit {
  sku: string;
  name: string;
  brand: string;
  categoryPath: string;
  price: Price;
  inStock: boolean;
  rating: number;
  ratingCount: number;
  highlights: Highlight[];
  score: number;
}

export interface FacetValueCount {
  value: string;
  count: number;
}

export interface PriceBucketCount {
  fromMinor: number;
  // undefined for the open-ended last bucket.
  toMinor?: number | undefined;
  count: number;
}

export interface FacetCounts {
  categories: FacetValueCount[];
  brands: FacetValueCount[];
  priceBuckets: PriceBucketCount[];
  inStock: number;
  outOfStock: number;
}

export interface SearchResult {
  hits: SearchHit[];
  // Set when there may be another page.
  nextAfter?: SortKey | undefined;
  totalHits: number;
  // Present when query.facets is not empty.
  facets?: FacetCounts | undefined;
  // The query the hits are for when the text as given matched nothing and a corrected one did; when
  // nothing matched at all, a suggestion (or undefined).
  correctedQuery?: string | undefined;
  // Nothing matched, even after correction.
  noMatch: boolean;
}

export interface Suggestion {
  text: string;
  sku: string;
}

// Only active products are searchable or suggested; drafts and archived ones are kept but never returned.
export function isSearchable(status: ProductStatus): boolean {
  return status === "active";
}
