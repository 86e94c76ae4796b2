// Suggest for the PostgreSQL engine: active products whose name starts with the prefix, then those with
// every word matching (the last as a prefix), then, for a prefix that matches nothing as typed, the names
// nearest by trigram similarity. In stock and shorter names first within each tier.
import { type Kysely, sql } from "kysely";
import type { Suggestion } from "../../domain/search-document.ts";
import { liveGeneration } from "./search-documents.ts";
import { tsqueryOf, wordsOf } from "./text-query.ts";

function likePrefix(text: string): string {
  return `${text.toLowerCase().replaceAll("\\", "\\\\").replaceAll("%", "\\%").replaceAll("_", "\\_")}%`;
}

export async function suggestDocuments(
  db: Kysely<unknown>,
  prefix: string,
  limit: number,
): Promise<Suggestion[]> {
  const generation = await liveGeneration(db);
  const words = wordsOf(prefix);
  const wordTier =
    words.length > 0
      ? sql`UNION ALL
        SELECT 2 AS tier, d.sku, d.name, d.in_stock, 0::real AS sim FROM documents d
        WHERE d.generation = ${generation} AND d.status = 'active'
          AND d.search_vector @@ ${tsqueryOf({ kind: "words", words })}`
      : sql``;
  const result = await sql<{ sku: string; name: string }>`
    WITH candidates AS (
      SELECT 1 AS tier, d.sku, d.name, d.in_stock, 0::real AS sim FROM documents d
      WHERE d.generation = ${generation} AND d.status = 'active' AND lower(d.name) LIKE ${likePrefix(prefix)}
      ${wordTier}
    ),
    ranked AS (
      SELECT DISTINCT ON (sku) * FROM candidates ORDER BY sku, tier
    )
    SELECT sku, name FROM ranked ORDER BY tier, in_stock DESC, length(name), name, sku LIMIT ${limit}`.execute(
    db,
  );
  if (result.rows.length > 0) return result.rows.map((r) => ({ text: r.name, sku: r.sku }));
  const fuzzy = await sql<{ sku: string; name: string }>`
    SELECT d.sku, d.name FROM documents d
    WHERE d.generation = ${generation} AND d.status = 'active' AND ${prefix.toLowerCase()} <% d.suggest_text
    ORDER BY word_similarity(${prefix.toLowerCase()}, d.suggest_text) DESC, d.in_stock DESC, length(d.name), d.sku
    LIMIT ${limit}`.execute(db);
  return fuzzy.rows.map((r) => ({ text: r.name, sku: r.sku }));
}
