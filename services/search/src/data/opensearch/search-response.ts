// An OpenSearch search response as the engine's SearchResult: hits with highlights, the next page's
// key, and facet counts from the aggregations.
import type {
  FacetCounts,
  Highlight,
  SearchHit,
  SearchQuery,
  SearchResult,
  SortKey,
} from "../../domain/search-document.ts";
import type { DocumentSource } from "./document-source.ts";
import { replaceWords } from "./query-text.ts";
import { CORRECTION_SUGGESTER } from "./search-request.ts";

interface RawHit {
  _id: string;
  _score?: number | null;
  _source?: DocumentSource;
  sort?: (string | number)[];
  highlight?: Record<string, string[]>;
}

interface Bucket {
  key: string | number;
  key_as_string?: string;
  doc_count: number;
  from?: number;
  to?: number;
  spelling?: { buckets: { key: string }[] };
}

export interface RawSearchResponse {
  hits: { total?: { value: number } | number; hits: RawHit[] };
  aggregations?: Record<string, { buckets?: Bucket[] }>;
  suggest?: Record<string, { text: string; options: { text: string }[] }[]>;
}

// The text with every word that has a suggestion replaced by it; undefined when nothing changes.
export function correctedText(response: RawSearchResponse, text: string): string | undefined {
  const replacements = new Map<string, string>();
  for (const entry of response.suggest?.[CORRECTION_SUGGESTER] ?? []) {
    const best = entry.options[0];
    if (best !== undefined) replacements.set(entry.text.toLowerCase(), best.text);
  }
  if (replacements.size === 0) return undefined;
  const corrected = replaceWords(text, replacements);
  return corrected === text ? undefined : corrected;
}

const HIGHLIGHT_FIELDS: Record<string, Highlight["field"]> = {
  "name.plain": "name",
  "description.plain": "description",
};

function toHit(raw: RawHit): SearchHit {
  const source = raw._source as DocumentSource;
  const highlights: Highlight[] = Object.entries(raw.highlight ?? {}).flatMap(([field, fragments]) => {
    const name = HIGHLIGHT_FIELDS[field];
    return name === undefined ? [] : [{ field: name, fragments }];
  });
  return {
    sku: source.sku,
    name: source.name,
    brand: source.brand,
    categoryPath: source.category_path,
    price: { amountMinor: source.price_minor, currency: source.currency },
    inStock: source.in_stock,
    rating: source.rating_average,
    ratingCount: source.rating_count,
    highlights,
    score: typeof raw._score === "number" ? raw._score : 0,
  };
}

function facetCounts(
  aggregations: RawSearchResponse["aggregations"],
  query: SearchQuery,
): FacetCounts | undefined {
  if (query.facets.length === 0) return undefined;
  const buckets = (name: string) => aggregations?.[name]?.buckets ?? [];
  const byStock = new Map(buckets("in_stock").map((b) => [b.key_as_string ?? String(b.key), b.doc_count]));
  return {
    categories: buckets("category").map((b) => ({ value: String(b.key), count: b.doc_count })),
    brands: buckets("brand").map((b) => ({
      value: b.spelling?.buckets[0]?.key ?? String(b.key),
      count: b.doc_count,
    })),
    priceBuckets: buckets("price").map((b) => ({
      fromMinor: b.from ?? 0,
      toMinor: b.to,
      count: b.doc_count,
    })),
    inStock: byStock.get("true") ?? 0,
    outOfStock: byStock.get("false") ?? 0,
  };
}

export function toSearchResult(response: RawSearchResponse, query: SearchQuery): SearchResult {
  const raw = response.hits.hits;
  const page = raw.slice(0, query.pageSize);
  const total = response.hits.total;
  const last = page.at(-1);
  const nextAfter: SortKey | undefined = raw.length > query.pageSize && last?.sort ? last.sort : undefined;
  const totalHits = typeof total === "number" ? total : (total?.value ?? page.length);
  return {
    hits: page.map(toHit),
    nextAfter,
    totalHits,
    facets: facetCounts(response.aggregations, query),
    noMatch: totalHits === 0,
  };
}
