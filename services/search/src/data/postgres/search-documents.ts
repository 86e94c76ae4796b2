// The PostgreSQL engine's Search: one statement for the page (keyset after the previous page's sort key),
// one for the total and the facet counts (GROUPING SETS over the same filtered rows), both on the live
// generation read once, so a swap between them cannot mix two indexes. A query that matches nothing is
// retried with its words corrected against the terms table (pg_trgm).
import { type Kysely, type RawBuilder, sql } from "kysely";
import type {
  FacetCounts,
  Highlight,
  SearchFilters,
  SearchHit,
  SearchQuery,
  SearchResult,
  SortKey,
} from "../../domain/search-document.ts";
import { InvalidSortKeyError } from "../../domain/search-errors.ts";
import { correctedText, correctWords } from "./correct-words.ts";
import { parseTextQuery, type TextQuery, tsqueryOf, wordsOf } from "./text-query.ts";

const MARK_START = "\uE000";
const MARK_END = "\uE001";
const FACET_LIMIT = 50;

type Sort = SearchQuery["sort"];

interface HitRow {
  sku: string;
  name: string;
  brand: string;
  category_path: string;
  price_minor: string;
  currency: string;
  in_stock: boolean;
  rating: number;
  rating_count: string;
  product_created_at: Date;
  score: number;
  name_headline: string | null;
  description_headline: string | null;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

// ts_headline's output with our markers: escaped, then the markers as <em> tags; null when nothing matched.
function fragmentOf(headline: string | null): string | undefined {
  if (headline === null || !headline.includes(MARK_START)) return undefined;
  return escapeHtml(headline).replaceAll(MARK_START, "<em>").replaceAll(MARK_END, "</em>");
}

function filterSql(filters: SearchFilters, generation: number, text: TextQuery): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`d.generation = ${generation}`, sql`d.status = 'active'`];
  if (text.kind !== "none") parts.push(sql`d.search_vector @@ q.query`);
  if (filters.categoryPathPrefix) {
    const prefix = filters.categoryPathPrefix;
    parts.push(
      sql`(d.category_path = ${prefix} OR d.category_path LIKE ${`${prefix.replaceAll("_", "\\_")}/%`})`,
    );
  }
  if (filters.brands.length > 0)
    parts.push(sql`d.brand_key = ANY(${filters.brands.map((b) => b.toLowerCase())}::text[])`);
  if (filters.priceMinMinor !== undefined) parts.push(sql`d.price_minor >= ${filters.priceMinMinor}`);
  if (filters.priceMaxMinor !== undefined) parts.push(sql`d.price_minor <= ${filters.priceMaxMinor}`);
  if (filters.inStockOnly) parts.push(sql`d.in_stock`);
  for (const attribute of filters.attributes) {
    parts.push(sql`(d.attributes -> ${attribute.name}) ?| ${attribute.values}::text[]`);
  }
  return sql.join(parts, sql` AND `);
}

function scoreSql(text: TextQuery, rawText: string): RawBuilder<unknown> {
  if (text.kind === "none") return sql`0::real`;
  const nameBonus =
    rawText === ""
      ? sql`0`
      : sql`CASE WHEN lower(d.name) LIKE ${`%${rawText.toLowerCase().replaceAll("\\", "\\\\").replaceAll("%", "\\%").replaceAll("_", "\\_")}%`} THEN 0.5 ELSE 0 END`;
  // ts_rank with the column weights, a bonus when the whole text appears in the name, and a small one
  // for being buyable now; as real so the page key round-trips exactly.
  return sql`(ts_rank('{0.05, 0.2, 0.4, 1.0}', d.search_vector, q.query)
      + ${nameBonus}
      + CASE WHEN d.in_stock THEN 0.01 ELSE 0 END)::real`;
}

function effectiveSort(sort: Sort, text: TextQuery): Sort {
  return sort === "relevance" && text.kind === "none" ? "newest" : sort;
}

function orderSql(sort: Sort): RawBuilder<unknown> {
  switch (sort) {
    case "relevance":
      return sql`score DESC, sku`;
    case "price_asc":
      return sql`price_minor, sku`;
    case "price_desc":
      return sql`price_minor DESC, sku`;
    case "newest":
      return sql`product_created_at DESC, sku`;
    case "rating":
      return sql`rating DESC, rating_count DESC, sku`;
  }
}

function keyOf(sort: Sort, row: HitRow): SortKey {
  switch (sort) {
    case "relevance":
      return [row.score, row.sku];
    case "price_asc":
    case "price_desc":
      return [Number(row.price_minor), row.sku];
    case "newest":
      return [row.product_created_at.toISOString(), row.sku];
    case "rating":
      return [row.rating, Number(row.rating_count), row.sku];
  }
}

function afterSql(sort: Sort, after: SortKey): RawBuilder<unknown> {
  const bad = () => new InvalidSortKeyError(`sort key does not fit sort ${sort}`);
  const sku = after.at(-1);
  if (typeof sku !== "string") throw bad();
  switch (sort) {
    case "relevance": {
      const [score] = after;
      if (after.length !== 2 || typeof score !== "number") throw bad();
      return sql`(score < ${score}::real OR (score = ${score}::real AND sku > ${sku}))`;
    }
    case "price_asc":
    case "price_desc": {
      const [price] = after;
      if (after.length !== 2 || typeof price !== "number" || !Number.isSafeInteger(price)) throw bad();
      return sort === "price_asc"
        ? sql`(price_minor > ${price} OR (price_minor = ${price} AND sku > ${sku}))`
        : sql`(price_minor < ${price} OR (price_minor = ${price} AND sku > ${sku}))`;
    }
    case "newest": {
      const [at] = after;
      if (after.length !== 2 || typeof at !== "string" || Number.isNaN(Date.parse(at))) throw bad();
      return sql`(product_created_at < ${at}::timestamptz OR (product_created_at = ${at}::timestamptz AND sku > ${sku}))`;
    }
    case "rating": {
      const [rating, count] = after;
      if (after.length !== 3 || typeof rating !== "number" || typeof count !== "number") throw bad();
      return sql`(rating < ${rating}::real OR (rating = ${rating}::real
        AND (rating_count < ${count} OR (rating_count = ${count} AND sku > ${sku}))))`;
    }
  }
}

function querySource(text: TextQuery): RawBuilder<unknown> {
  return text.kind === "none"
    ? sql`(SELECT NULL::tsquery AS query) q`
    : sql`(SELECT ${tsqueryOf(text)} AS query) q`;
}

async function pageOf(
  db: Kysely<unknown>,
  generation: number,
  query: SearchQuery,
  text: TextQuery,
  rawText: string,
): Promise<{ hits: SearchHit[]; nextAfter?: SortKey }> {
  const sort = effectiveSort(query.sort, text);
  const after = query.after ? sql`WHERE ${afterSql(sort, query.after)}` : sql``;
  const highlights =
    text.kind === "none"
      ? sql`NULL::text AS name_headline, NULL::text AS description_headline`
      : sql`ts_headline('english', p.name, p.query, ${`StartSel=${MARK_START}, StopSel=${MARK_END}, HighlightAll=true`}) AS name_headline,
            ts_headline('english', p.description, p.query,
              ${`StartSel=${MARK_START}, StopSel=${MARK_END}, MaxFragments=2, MaxWords=20, MinWords=5`}) AS description_headline`;
  const result = await sql<HitRow>`
    WITH matched AS (
      SELECT d.sku, d.name, d.description, d.brand, d.category_path, d.price_minor, d.currency, d.in_stock,
             d.rating, d.rating_count, d.product_created_at, q.query, ${scoreSql(text, rawText)} AS score
      FROM documents d, ${querySource(text)}
      WHERE ${filterSql(query.filters, generation, text)}
    ),
    page AS (
      SELECT * FROM matched ${after} ORDER BY ${orderSql(sort)} LIMIT ${query.pageSize + 1}
    )
    SELECT p.sku, p.name, p.brand, p.category_path, p.price_minor, p.currency, p.in_stock, p.rating,
           p.rating_count, p.product_created_at, p.score, ${highlights}
    FROM page p ORDER BY ${orderSql(sort)}`.execute(db);
  const rows = result.rows.slice(0, query.pageSize);
  const hits = rows.map((row): SearchHit => {
    const highlightList: Highlight[] = [];
    const name = fragmentOf(row.name_headline);
    if (name) highlightList.push({ field: "name", fragments: [name] });
    const description = fragmentOf(row.description_headline);
    if (description) highlightList.push({ field: "description", fragments: [description] });
    return {
      sku: row.sku,
      name: row.name,
      brand: row.brand,
      categoryPath: row.category_path,
      price: { amountMinor: Number(row.price_minor), currency: row.currency.trim() },
      inStock: row.in_stock,
      rating: Number(row.rating),
      ratingCount: Number(row.rating_count),
      highlights: highlightList,
      score: Number(row.score),
    };
  });
  const last = rows.at(-1);
  return result.rows.length > query.pageSize && last ? { hits, nextAfter: keyOf(sort, last) } : { hits };
}

interface AggregateRow {
  g_category: number;
  g_brand: number;
  g_bucket: number;
  g_stock: number;
  category_path: string | null;
  brand: string | null;
  bucket: number | null;
  in_stock: boolean | null;
  n: string;
}

async function countsOf(
  db: Kysely<unknown>,
  generation: number,
  query: SearchQuery,
  text: TextQuery,
): Promise<{ total: number; facets?: FacetCounts }> {
  // GROUPING() needs each column in some set, so the sets of facets not asked for are grouped too (over
  // the same scan: they cost little) and left out of the answer.
  const bounds = query.priceBucketBounds;
  const bucketExpr = bounds.length > 0 ? sql`width_bucket(d.price_minor, ${bounds}::bigint[])` : sql`0`;
  const result = await sql<AggregateRow>`
    SELECT GROUPING(category_path) AS g_category, GROUPING(brand_key) AS g_brand, GROUPING(bucket) AS g_bucket,
           GROUPING(in_stock) AS g_stock, category_path, min(brand) AS brand, bucket, in_stock, count(*) AS n
    FROM (
      SELECT d.category_path, d.brand_key, d.brand, ${bucketExpr} AS bucket, d.in_stock
      FROM documents d, ${querySource(text)}
      WHERE ${filterSql(query.filters, generation, text)}
    ) m
    GROUP BY GROUPING SETS ((), (category_path), (brand_key), (bucket), (in_stock))`.execute(db);
  let total = 0;
  const categories: { value: string; count: number }[] = [];
  const brands: { value: string; count: number }[] = [];
  const bucketCounts = new Map<number, number>();
  let inStock = 0;
  let outOfStock = 0;
  for (const row of result.rows) {
    const n = Number(row.n);
    const grouped = [row.g_category, row.g_brand, row.g_bucket, row.g_stock].map(Number);
    if (grouped.every((g) => g === 1)) total = n;
    else if (grouped[0] === 0) categories.push({ value: row.category_path ?? "", count: n });
    else if (grouped[1] === 0) brands.push({ value: row.brand ?? "", count: n });
    else if (grouped[2] === 0) bucketCounts.set(Number(row.bucket), n);
    else if (row.in_stock) inStock = n;
    else outOfStock = n;
  }
  if (query.facets.length === 0) return { total };
  const byCount = (a: { value: string; count: number }, b: { value: string; count: number }) =>
    b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
  return {
    total,
    facets: {
      categories: query.facets.includes("category") ? categories.sort(byCount).slice(0, FACET_LIMIT) : [],
      brands: query.facets.includes("brand") ? brands.sort(byCount).slice(0, FACET_LIMIT) : [],
      priceBuckets: query.facets.includes("price")
        ? [0, ...bounds].map((from, i) => ({
            fromMinor: from,
            toMinor: bounds[i],
            count: bucketCounts.get(i) ?? 0,
          }))
        : [],
      inStock: query.facets.includes("in_stock") ? inStock : 0,
      outOfStock: query.facets.includes("in_stock") ? outOfStock : 0,
    },
  };
}

async function runOnce(
  db: Kysely<unknown>,
  generation: number,
  query: SearchQuery,
  text: TextQuery,
  rawText: string,
) {
  const [page, counts] = await Promise.all([
    pageOf(db, generation, query, text, rawText),
    countsOf(db, generation, query, text),
  ]);
  return { page, counts };
}

export async function liveGeneration(db: Kysely<unknown>): Promise<number> {
  const result = await sql<{ live_generation: string }>`SELECT live_generation FROM index_state`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error("index_state has no row: the search migrations have not run");
  return Number(row.live_generation);
}

export async function searchDocuments(db: Kysely<unknown>, query: SearchQuery): Promise<SearchResult> {
  const generation = await liveGeneration(db);
  const text = parseTextQuery(query.text);
  const first = await runOnce(db, generation, query, text, query.text.trim());
  const answer = (run: typeof first, correctedQuery?: string): SearchResult => ({
    hits: run.page.hits,
    ...(run.page.nextAfter && { nextAfter: run.page.nextAfter }),
    totalHits: run.counts.total,
    ...(run.counts.facets && { facets: run.counts.facets }),
    ...(correctedQuery !== undefined && { correctedQuery }),
    noMatch: run.counts.total === 0,
  });
  // Typo correction only for a first page of plain words that matched nothing.
  if (first.counts.total > 0 || text.kind !== "words" || query.after) return answer(first);
  const alternatives = await correctWords(db, text.words);
  if (alternatives === undefined) return answer(first);
  const correctedQuery: TextQuery = { kind: "alternatives", alternatives };
  const second = await runOnce(db, generation, query, correctedQuery, "");
  const best = second.page.hits[0];
  const bestWords = new Set(best ? wordsOf(`${best.name} ${best.brand} ${best.categoryPath}`) : []);
  const suggestion = correctedText(alternatives, bestWords);
  return answer(second.counts.total > 0 ? second : first, suggestion);
}
