// A SearchQuery as an OpenSearch search body: the text query (stemmed words, fuzzy words for typos,
// word prefixes), the filters, the sort with its search_after key, facet aggregations and highlights.
import type {
  FacetName,
  SearchFilters,
  SearchQuery,
  SortKey,
  SortOrder,
} from "../../domain/search-document.ts";
import { InvalidSortKeyError } from "../../domain/search-errors.ts";
import { attributePair } from "./document-source.ts";
import { type ParsedQueryText, parseQueryText } from "./query-text.ts";

type Json = Record<string, unknown>;

export const FACET_SIZE = 50;

// The sort of each order, ending in the unique sku so search_after pages never skip or repeat a hit.
function sortOf(order: SortOrder, hasText: boolean): Json[] {
  switch (order) {
    case "relevance":
      return hasText ? [{ _score: "desc" }, { sku: "asc" }] : sortOf("newest", false);
    case "price_asc":
      return [{ price_minor: "asc" }, { sku: "asc" }];
    case "price_desc":
      return [{ price_minor: "desc" }, { sku: "asc" }];
    case "newest":
      return [{ created_at: "desc" }, { sku: "asc" }];
    case "rating":
      return [{ rating_average: "desc" }, { rating_count: "desc" }, { sku: "asc" }];
  }
}

// An `after` must have this sort's shape: numbers for every part but the last, the sku.
function checkAfter(after: SortKey, sort: Json[]): SortKey {
  const fits =
    after.length === sort.length &&
    after.every((part, i) =>
      i === after.length - 1 ? typeof part === "string" : typeof part === "number" && Number.isFinite(part),
    );
  if (!fits) throw new InvalidSortKeyError("the page key does not fit this sort");
  return after;
}

function wordQueries(parsed: ParsedQueryText, fuzzy: boolean): { required: Json[]; scoring: Json[] } {
  if (parsed.words.length === 0) return { required: [], scoring: [] };
  const words = parsed.words.join(" ");
  const operator = parsed.anyWord ? "or" : "and";
  const ways: Json[] = [
    { match: { search_text: { query: words, operator, boost: 3 } } },
    { match: { "search_text.prefix": { query: words, operator, boost: 0.5 } } },
  ];
  if (fuzzy) {
    ways.push({
      match: {
        "search_text.plain": {
          query: words,
          operator,
          fuzziness: "AUTO",
          prefix_length: 1,
          max_expansions: 20,
        },
      },
    });
  }
  return {
    // Every word must match somewhere in the product: stemmed, as a word prefix, or (fuzzy) with a typo.
    required: [{ bool: { should: ways, minimum_should_match: 1 } }],
    // Where the words match decides the order: the name above the brand and category above the rest.
    scoring: [
      { match_phrase: { name: { query: words, slop: 1, boost: 6 } } },
      { match: { name: { query: words, boost: 4 } } },
      {
        match: {
          "name.plain": { query: words, fuzziness: "AUTO", prefix_length: 1, max_expansions: 20, boost: 2 },
        },
      },
      { match: { "name.prefix": { query: words, boost: 1 } } },
      { match: { "brand.words": { query: words, boost: 2 } } },
      { match: { category_words: { query: words, boost: 2 } } },
    ],
  };
}

export function textQuery(text: string, fuzzy: boolean): { must: Json[]; should: Json[]; mustNot: Json[] } {
  const parsed = parseQueryText(text);
  const words = wordQueries(parsed, fuzzy);
  return {
    must: [...words.required, ...parsed.phrases.map((phrase) => ({ match_phrase: { search_text: phrase } }))],
    should: [
      ...words.scoring,
      ...parsed.phrases.map((phrase) => ({ match_phrase: { name: { query: phrase, boost: 4 } } })),
    ],
    mustNot: parsed.excluded.map((excluded) => ({ match_phrase: { search_text: excluded } })),
  };
}

export function filterClauses(filters: SearchFilters): Json[] {
  const clauses: Json[] = [{ term: { status: "active" } }];
  if (filters.categoryPathPrefix !== undefined)
    clauses.push({ term: { category_ancestors: filters.categoryPathPrefix } });
  if (filters.brands.length > 0)
    clauses.push({ terms: { "brand.key": filters.brands.map((b) => b.toLowerCase()) } });
  if (filters.priceMinMinor !== undefined || filters.priceMaxMinor !== undefined) {
    clauses.push({ range: { price_minor: { gte: filters.priceMinMinor, lte: filters.priceMaxMinor } } });
  }
  if (filters.inStockOnly) clauses.push({ term: { in_stock: true } });
  for (const attribute of filters.attributes) {
    clauses.push({
      terms: { attribute_pairs: attribute.values.map((value) => attributePair(attribute.name, value)) },
    });
  }
  return clauses;
}

function priceRanges(bounds: number[]): Json[] {
  const edges = [0, ...bounds];
  return edges.map((from, i) =>
    i + 1 < edges.length ? { key: String(i), from, to: edges[i + 1] } : { key: String(i), from },
  );
}

function facetAggregations(facets: readonly FacetName[], bounds: number[]): Json | undefined {
  if (facets.length === 0) return undefined;
  const aggs: Json = {};
  for (const facet of facets) {
    if (facet === "category") aggs.category = { terms: { field: "category_path", size: FACET_SIZE } };
    // Grouped case-insensitively, named by the group's most common spelling.
    if (facet === "brand") {
      aggs.brand = {
        terms: { field: "brand.key", size: FACET_SIZE },
        aggs: { spelling: { terms: { field: "brand", size: 1 } } },
      };
    }
    if (facet === "price")
      aggs.price = { range: { field: "price_minor", keyed: false, ranges: priceRanges(bounds) } };
    if (facet === "in_stock") aggs.in_stock = { terms: { field: "in_stock", size: 2 } };
  }
  return aggs;
}

// Highlights on the unstemmed fields, so a typo or a prefix highlights the word it matched.
function highlight(text: string): Json | undefined {
  const words = parseQueryText(text);
  const all = [...words.words, ...words.phrases].join(" ");
  if (all === "") return undefined;
  const fieldQuery = (field: string) => ({
    bool: {
      should: [
        { match: { [field]: { query: all, fuzziness: "AUTO", prefix_length: 1 } } },
        { match_bool_prefix: { [field]: { query: all } } },
      ],
    },
  });
  return {
    pre_tags: ["<em>"],
    post_tags: ["</em>"],
    encoder: "html",
    require_field_match: false,
    fields: {
      "name.plain": { number_of_fragments: 0, highlight_query: fieldQuery("name.plain") },
      "description.plain": {
        fragment_size: 160,
        number_of_fragments: 2,
        highlight_query: fieldQuery("description.plain"),
      },
    },
  };
}

export interface SearchPass {
  // The text this pass searches for (the query's own, or its correction).
  text: string;
  // Words may match with a typo (fuzzy); the first pass is exact so a typo is reported as corrected.
  fuzzy: boolean;
  // Ask for corrections of the words no document has, in the same request.
  withCorrection: boolean;
}

export function searchBody(query: SearchQuery, pass: SearchPass): Json {
  const text = pass.text;
  const hasText = text.trim() !== "";
  const sort = sortOf(query.sort, hasText);
  const { must, should, mustNot } = hasText
    ? textQuery(text, pass.fuzzy)
    : { must: [], should: [], mustNot: [] };
  const body: Json = {
    // One more than the page: a page is only followed by a token when another hit exists.
    size: query.pageSize + 1,
    track_total_hits: true,
    track_scores: hasText,
    sort,
    query: { bool: { must, should, must_not: mustNot, filter: filterClauses(query.filters) } },
  };
  if (query.after !== undefined) body.search_after = checkAfter(query.after, sort);
  const aggs = facetAggregations(query.facets, query.priceBucketBounds);
  if (aggs !== undefined) body.aggs = aggs;
  const highlights = hasText ? highlight(text) : undefined;
  if (highlights !== undefined) body.highlight = highlights;
  const words = parseQueryText(text).words;
  if (pass.withCorrection && words.length > 0) body.suggest = correctionSuggester(words);
  return body;
}

export const CORRECTION_SUGGESTER = "words";

// Term suggestions for the words that no document has (suggest_mode missing), to apply or offer.
function correctionSuggester(words: string[]): Json {
  return {
    text: words.join(" "),
    [CORRECTION_SUGGESTER]: {
      term: {
        field: "search_text.plain",
        suggest_mode: "missing",
        sort: "score",
        size: 1,
        min_word_length: 3,
      },
    },
  };
}

export function suggestBody(prefix: string, limit: number, fuzzy: boolean): Json {
  const match = fuzzy
    ? { match: { "name.prefix": { query: prefix, fuzziness: "AUTO", prefix_length: 1, operator: "and" } } }
    : // Every word typed is the start of a word of the name (edge n-grams; search_as_you_type is in the
      // mapper-extras module, which the local distribution does not ship).
      { match: { "name.prefix": { query: prefix, operator: "and" } } };
  return {
    size: limit,
    _source: ["sku", "name"],
    sort: [{ _score: "desc" }, { "name.key": "asc" }, { sku: "asc" }],
    query: {
      bool: {
        must: [match],
        // Names that start with the prefix come first.
        should: [{ prefix: { "name.key": { value: prefix.toLowerCase(), boost: 10 } } }],
        filter: [{ term: { status: "active" } }],
      },
    },
  };
}
