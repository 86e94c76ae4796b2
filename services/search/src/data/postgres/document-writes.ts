// The PostgreSQL engine's guarded writes. Each statement writes every target generation at once (the
// live one and, during a rebuild, the shadow, read from index_state in the same statement) and touches a
// part of a document only when its version is newer than the stored one. Batches travel as one jsonb
// array (jsonb_to_recordset), so a batch is one statement per part whatever its size.
import { type Kysely, sql } from "@stockroom/db";
import type {
  PriceUpdate,
  RatingUpdate,
  SearchDocument,
  StockUpdate,
  WriteOutcome,
} from "../../domain/search-document.ts";

// Which generations a write goes to: every generation the engine writes ("current": live + shadow) or
// one generation (a rebuild's shadow).
export type WriteTarget = { kind: "current" } | { kind: "generation"; generation: number };

function targetGenerations(target: WriteTarget) {
  return target.kind === "current"
    ? sql`SELECT g FROM index_state, unnest(array_remove(ARRAY[live_generation, shadow_generation], NULL)) AS g`
    : sql`SELECT ${target.generation}::bigint AS g`;
}

// The generation an outcome is reported for: the live one for current writes, else the shadow.
function reportedGeneration(target: WriteTarget) {
  return target.kind === "current"
    ? sql`(SELECT live_generation FROM index_state)`
    : sql`${target.generation}::bigint`;
}

// Words of names, brands and categories for typo correction (terms table).
export function termsOf(document: SearchDocument): string[] {
  const p = document.product;
  const words = `${p.name} ${p.brand} ${p.categoryPath.replaceAll("/", " ").replaceAll(/[-_]/g, " ")}`
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 2 && w.length <= 64);
  return [...new Set(words)];
}

function attributesText(attributes: Record<string, string[]>): string {
  return Object.values(attributes).flat().join(" ");
}

// One statement updates each part of a conflicting row only when that part's version is newer (two
// data-modifying CTEs on one row would leave only one of their changes).
function guardedSet(version: string, columns: readonly string[]) {
  return sql.raw(
    columns
      .map((c) => `${c} = CASE WHEN excluded.${version} > d.${version} THEN excluded.${c} ELSE d.${c} END`)
      .join(", "),
  );
}

const PRODUCT_SET = guardedSet("product_version", [
  "name",
  "description",
  "brand",
  "category_path",
  "attributes",
  "attributes_text",
  "status",
  "price_minor",
  "currency",
  "product_created_at",
  "product_version",
]);
const STOCK_SET = guardedSet("stock_version", ["available", "stock_version"]);
const RATING_SET = guardedSet("rating_version", ["rating", "rating_count", "rating_version"]);

function outcomes(skus: readonly string[], applied: ReadonlySet<string>, present: ReadonlySet<string>) {
  return skus.map(
    (sku): WriteOutcome => (applied.has(sku) ? "applied" : present.has(sku) ? "stale" : "missing"),
  );
}

export async function upsertDocumentRows(
  db: Kysely<unknown>,
  target: WriteTarget,
  documents: readonly SearchDocument[],
): Promise<WriteOutcome[]> {
  if (documents.length === 0) return [];
  // The last of several documents for one sku in a batch wins only if newer, like separate calls.
  const rows = documents.map((d) => ({
    sku: d.product.sku,
    name: d.product.name,
    description: d.product.description,
    brand: d.product.brand,
    category_path: d.product.categoryPath,
    attributes: d.product.attributes,
    attributes_text: attributesText(d.product.attributes),
    status: d.product.status,
    price_minor: d.product.price.amountMinor,
    currency: d.product.price.currency,
    product_version: d.product.productVersion,
    product_created_at: d.product.createdAt.toISOString(),
    available: Math.max(0, d.stock.available),
    stock_version: d.stock.stockVersion,
    rating: d.rating?.average ?? 0,
    rating_count: d.rating?.count ?? 0,
    rating_version: d.rating?.ratingVersion ?? 0,
  }));
  // Sorted, so concurrent batches lock rows in one order (no deadlocks between them).
  rows.sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  const terms = [...new Set(documents.flatMap(termsOf))].sort();
  const applied = new Set<string>();
  // One sku at most once per statement (ON CONFLICT cannot touch a row twice): split duplicates into rounds.
  for (const round of rounds(rows)) {
    const json = JSON.stringify(round);
    const result = await sql<{ sku: string }>`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${json}::jsonb) AS r(
          sku text, name text, description text, brand text, category_path text, attributes jsonb,
          attributes_text text, status text, price_minor bigint, currency text, product_version bigint,
          product_created_at timestamptz, available bigint, stock_version bigint, rating real,
          rating_count bigint, rating_version bigint)
      ),
      products AS (
        INSERT INTO documents AS d (
          generation, sku, name, description, brand, category_path, attributes, attributes_text, status,
          price_minor, currency, product_version, product_created_at, available, stock_version, rating,
          rating_count, rating_version)
        SELECT t.g, i.sku, i.name, i.description, i.brand, i.category_path, i.attributes, i.attributes_text,
               i.status, i.price_minor, i.currency, i.product_version, i.product_created_at, i.available,
               i.stock_version, i.rating, i.rating_count, i.rating_version
        FROM input i CROSS JOIN (${targetGenerations(target)}) t
        ORDER BY t.g, i.sku
        ON CONFLICT (generation, sku) DO UPDATE SET
          ${PRODUCT_SET}, ${STOCK_SET}, ${RATING_SET}, indexed_at = now()
        WHERE excluded.product_version > d.product_version OR excluded.stock_version > d.stock_version
           OR excluded.rating_version > d.rating_version
        RETURNING d.generation, d.sku
      )
      SELECT sku FROM products w
      WHERE w.generation = ${reportedGeneration(target)}`.execute(db);
    for (const row of result.rows) applied.add(row.sku);
  }
  if (terms.length > 0) {
    await sql`INSERT INTO terms (term) SELECT unnest(${terms}::text[]) ON CONFLICT DO NOTHING`.execute(db);
  }
  // Every upserted document exists now: a document not applied was stale.
  const skus = documents.map((d) => d.product.sku);
  return outcomes(skus, applied, new Set(skus));
}

function rounds<T extends { sku: string }>(rows: T[]): T[][] {
  const result: T[][] = [];
  for (const row of rows) {
    const round = result.find((r) => !r.some((other) => other.sku === row.sku));
    if (round) round.push(row);
    else result.push([row]);
  }
  return result;
}

async function presentSkus(db: Kysely<unknown>, target: WriteTarget, skus: readonly string[]) {
  const result = await sql<{ sku: string }>`
    SELECT sku FROM documents WHERE generation = ${reportedGeneration(target)} AND sku = ANY(${skus}::text[])`.execute(
    db,
  );
  return new Set(result.rows.map((r) => r.sku));
}

// Partial updates: the CTE's statement-level snapshot means a sku listed twice is applied once with its
// highest version (DISTINCT ON), which is what applying both in order would leave.
export async function updateStockRows(
  db: Kysely<unknown>,
  target: WriteTarget,
  updates: readonly StockUpdate[],
) {
  if (updates.length === 0) return [];
  const json = JSON.stringify(
    updates.map((u) => ({ sku: u.sku, available: Math.max(0, u.available), v: u.stockVersion })),
  );
  const result = await sql<{ sku: string; reported: boolean }>`
    WITH input AS (
      SELECT DISTINCT ON (sku) * FROM jsonb_to_recordset(${json}::jsonb) AS r(sku text, available bigint, v bigint)
      ORDER BY sku, v DESC
    )
    UPDATE documents d SET available = i.available, stock_version = i.v, indexed_at = now()
    FROM input i, (${targetGenerations(target)}) t
    WHERE d.generation = t.g AND d.sku = i.sku AND i.v > d.stock_version
    RETURNING d.sku, d.generation = ${reportedGeneration(target)} AS reported`.execute(db);
  const applied = new Set(result.rows.filter((r) => r.reported).map((r) => r.sku));
  const skus = updates.map((u) => u.sku);
  return outcomes(skus, applied, await presentSkus(db, target, skus));
}

export async function updatePriceRows(
  db: Kysely<unknown>,
  target: WriteTarget,
  updates: readonly PriceUpdate[],
) {
  if (updates.length === 0) return [];
  const json = JSON.stringify(
    updates.map((u) => ({
      sku: u.sku,
      price_minor: u.price.amountMinor,
      currency: u.price.currency,
      v: u.productVersion,
    })),
  );
  const result = await sql<{ sku: string; reported: boolean }>`
    WITH input AS (
      SELECT DISTINCT ON (sku) * FROM jsonb_to_recordset(${json}::jsonb) AS r(sku text, price_minor bigint, currency text, v bigint)
      ORDER BY sku, v DESC
    )
    UPDATE documents d SET price_minor = i.price_minor, currency = i.currency, product_version = i.v, indexed_at = now()
    FROM input i, (${targetGenerations(target)}) t
    WHERE d.generation = t.g AND d.sku = i.sku AND i.v > d.product_version
    RETURNING d.sku, d.generation = ${reportedGeneration(target)} AS reported`.execute(db);
  const applied = new Set(result.rows.filter((r) => r.reported).map((r) => r.sku));
  const skus = updates.map((u) => u.sku);
  return outcomes(skus, applied, await presentSkus(db, target, skus));
}

export async function updateRatingRows(
  db: Kysely<unknown>,
  target: WriteTarget,
  updates: readonly RatingUpdate[],
) {
  if (updates.length === 0) return [];
  const json = JSON.stringify(
    updates.map((u) => ({ sku: u.sku, rating: u.average, rating_count: u.count, v: u.ratingVersion })),
  );
  const result = await sql<{ sku: string; reported: boolean }>`
    WITH input AS (
      SELECT DISTINCT ON (sku) * FROM jsonb_to_recordset(${json}::jsonb) AS r(sku text, rating real, rating_count bigint, v bigint)
      ORDER BY sku, v DESC
    )
    UPDATE documents d SET rating = i.rating, rating_count = i.rating_count, rating_version = i.v, indexed_at = now()
    FROM input i, (${targetGenerations(target)}) t
    WHERE d.generation = t.g AND d.sku = i.sku AND i.v > d.rating_version
    RETURNING d.sku, d.generation = ${reportedGeneration(target)} AS reported`.execute(db);
  const applied = new Set(result.rows.filter((r) => r.reported).map((r) => r.sku));
  const skus = updates.map((u) => u.sku);
  return outcomes(skus, applied, await presentSkus(db, target, skus));
}
