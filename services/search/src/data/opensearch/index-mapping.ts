// The OpenSearch index behind the search engine: its analyzers (from the analysis-common module) and
// its field mapping. Every live or shadow index is created from these, so a rebuild picks up a change.

// Stemmed English for relevance, a plain (unstemmed) form for typo tolerance (a fuzzy match against
// stemmed terms would compare "runnnig" with "run"), edge n-grams for prefixes.
const analysis = {
  filter: {
    english_possessive: { type: "stemmer", language: "possessive_english" },
    english_stemmer: { type: "stemmer", language: "english" },
    english_stop: { type: "stop", stopwords: "_english_" },
    word_prefixes: { type: "edge_ngram", min_gram: 1, max_gram: 20 },
  },
  analyzer: {
    text_english: {
      type: "custom",
      tokenizer: "standard",
      filter: ["english_possessive", "lowercase", "asciifolding", "english_stop", "english_stemmer"],
    },
    text_plain: { type: "custom", tokenizer: "standard", filter: ["lowercase", "asciifolding"] },
    text_prefix_index: {
      type: "custom",
      tokenizer: "standard",
      filter: ["lowercase", "asciifolding", "word_prefixes"],
    },
  },
  normalizer: {
    lowercase_key: { type: "custom", filter: ["lowercase", "asciifolding"] },
  },
} as const;

// A text field searched stemmed, plain (fuzzy) and by word prefix.
const wordsField = (extra: Record<string, unknown> = {}) => ({
  type: "text",
  analyzer: "text_english",
  ...extra,
  fields: {
    plain: { type: "text", analyzer: "text_plain" },
    prefix: { type: "text", analyzer: "text_prefix_index", search_analyzer: "text_plain" },
  },
});

// Field names of the stored source (document-source.ts writes them, query builders read them).
export const properties = {
  sku: { type: "keyword" },
  name: {
    ...wordsField({ copy_to: "search_text" }),
    fields: {
      plain: { type: "text", analyzer: "text_plain" },
      prefix: { type: "text", analyzer: "text_prefix_index", search_analyzer: "text_plain" },
      key: { type: "keyword", normalizer: "lowercase_key", ignore_above: 512 },
    },
  },
  description: {
    type: "text",
    analyzer: "text_english",
    copy_to: "search_text",
    fields: { plain: { type: "text", analyzer: "text_plain" } },
  },
  brand: {
    type: "keyword",
    copy_to: "search_text",
    fields: {
      key: { type: "keyword", normalizer: "lowercase_key" },
      words: {
        type: "text",
        analyzer: "text_english",
        fields: { plain: { type: "text", analyzer: "text_plain" } },
      },
    },
  },
  category_path: { type: "keyword" },
  // "apparel", "apparel/shoes", "apparel/shoes/running": the category prefix filter on whole segments.
  category_ancestors: { type: "keyword" },
  // The last segment's words are searchable ("running" in apparel/shoes/running).
  category_words: { type: "text", analyzer: "text_english", copy_to: "search_text" },
  // Kept for reads (getDocuments); filters use attribute_pairs.
  attributes: { type: "object", enabled: false },
  // "<name>=<value>" per value, lower-cased: one terms filter per attribute.
  attribute_pairs: { type: "keyword", normalizer: "lowercase_key" },
  attribute_words: { type: "text", analyzer: "text_english", copy_to: "search_text" },
  // Every searchable word of the product, for queries whose words span fields ("nike running shoes").
  search_text: wordsField(),
  status: { type: "keyword" },
  price_minor: { type: "long" },
  currency: { type: "keyword" },
  product_version: { type: "long" },
  created_at: { type: "date", format: "epoch_millis" },
  available: { type: "integer" },
  in_stock: { type: "boolean" },
  stock_version: { type: "long" },
  rating_average: { type: "float" },
  rating_count: { type: "integer" },
  // 0 when the product has no rating yet (every real rating version is newer).
  rating_version: { type: "long" },
} as const;

export function indexDefinition(): { settings: Record<string, unknown>; mappings: Record<string, unknown> } {
  return {
    settings: {
      // One node locally; a cluster raises replicas with the index settings API, not here.
      number_of_shards: 1,
      number_of_replicas: 0,
      "index.max_ngram_diff": 20,
      analysis,
    },
    mappings: { dynamic: "strict", properties },
  };
}
