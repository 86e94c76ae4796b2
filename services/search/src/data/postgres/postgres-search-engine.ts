// The PostgreSQL search engine (the embedded default): documents in the service schema's documents
// table (migrations/search), a generation per index, full text by a weighted generated tsvector with a
// GIN index, pg_trgm for typo correction and suggestions, facets by GROUPING SETS. It satisfies the
// SearchEngine port (src/app/ports/search-engine.ts) structurally: data/ may not import app/.
import { type Kysely, sql } from "kysely";
import type {
  PriceUpdate,
  ProductStatus,
  RatingUpdate,
  SearchDocument,
  SearchQuery,
  StockUpdate,
  StoredDocument,
} from "../../domain/search-document.ts";
import {
  updatePriceRows,
  updateRatingRows,
  updateStockRows,
  upsertDocumentRows,
  type WriteTarget,
} from "./document-writes.ts";
import { liveGeneration, searchDocuments } from "./search-documents.ts";
import { suggestDocuments } from "./suggest-documents.ts";

const CURRENT: WriteTarget = { kind: "current" };

interface DocumentRow {
  sku: string;
  name: string;
  description: string;
  brand: string;
  category_path: string;
  attributes: Record<string, string[]>;
  status: ProductStatus;
  price_minor: string;
  currency: string;
  product_version: string;
  product_created_at: Date;
  available: string;
  stock_version: string;
  in_stock: boolean;
  rating: number;
  rating_count: string;
  rating_version: string;
}

function storedDocument(row: DocumentRow): StoredDocument {
  const ratingVersion = Number(row.rating_version);
  return {
    product: {
      sku: row.sku,
      name: row.name,
      description: row.description,
      brand: row.brand,
      categoryPath: row.category_path,
      attributes: row.attributes,
      status: row.status,
      price: { amountMinor: Number(row.price_minor), currency: row.currency.trim() },
      productVersion: Number(row.product_version),
      createdAt: row.product_created_at,
    },
    stock: { available: Number(row.available), stockVersion: Number(row.stock_version) },
    ...(ratingVersion > 0 && {
      rating: { average: Number(row.rating), count: Number(row.rating_count), ratingVersion },
    }),
    inStock: row.in_stock,
  };
}

// Rows of retired generations are deleted this many at a time.
const RETIRE_BATCH = 5_000;

async function deleteRetiredGenerations(db: Kysely<unknown>): Promise<void> {
  for (;;) {
    const result = await sql`
      DELETE FROM documents WHERE ctid = ANY(ARRAY(
        SELECT d.ctid FROM documents d, index_state s
        WHERE d.generation <> s.live_generation AND d.generation IS DISTINCT FROM s.shadow_generation
        LIMIT ${RETIRE_BATCH}))`.execute(db);
    if (Number(result.numAffectedRows ?? 0) < RETIRE_BATCH) return;
  }
}

export function createPostgresSearchEngine(options: {
  db: Kysely<unknown>;
  // How long a retired generation's rows stay after a swap, for searches that read the old live
  // generation just before it (they finish within their statement timeout).
  retireGraceMs?: number;
}) {
  const { db } = options;
  const retireGraceMs = options.retireGraceMs ?? 2_000;

  return {
    name: "postgres" as const,
    async ensureReady(): Promise<void> {
      await liveGeneration(db);
    },
    upsertDocuments: (documents: readonly SearchDocument[]) => upsertDocumentRows(db, CURRENT, documents),
    updateStock: (updates: readonly StockUpdate[]) => updateStockRows(db, CURRENT, updates),
    updatePrice: (updates: readonly PriceUpdate[]) => updatePriceRows(db, CURRENT, updates),
    updateRating: (updates: readonly RatingUpdate[]) => updateRatingRows(db, CURRENT, updates),
    async getDocuments(skus: readonly string[]): Promise<StoredDocument[]> {
      if (skus.length === 0) return [];
      const result = await sql<DocumentRow>`
        SELECT d.* FROM documents d, index_state s
        WHERE d.generation = s.live_generation AND d.sku = ANY(${skus}::text[]) ORDER BY d.sku`.execute(db);
      return result.rows.map(storedDocument);
    },
    search: (query: SearchQuery) => searchDocuments(db, query),
    suggest: (prefix: string, limit: number) => suggestDocuments(db, prefix, limit),

    async beginRebuild() {
      // A shadow left by an unfinished rebuild is replaced; its rows go with the retired ones.
      const result = await sql<{ shadow_generation: string }>`
        UPDATE index_state SET shadow_generation = nextval('index_generation_seq'), shadow_started_at = now()
        RETURNING shadow_generation`.execute(db);
      const generation = Number(result.rows[0]?.shadow_generation);
      await deleteRetiredGenerations(db);
      const target: WriteTarget = { kind: "generation", generation };
      return {
        id: String(generation),
        upsertDocuments: (documents: readonly SearchDocument[]) => upsertDocumentRows(db, target, documents),
        async swap(): Promise<void> {
          const swapped = await sql`
            UPDATE index_state SET live_generation = shadow_generation, shadow_generation = NULL,
              shadow_started_at = NULL
            WHERE shadow_generation = ${generation}`.execute(db);
          if (Number(swapped.numAffectedRows ?? 0) !== 1) {
            throw new Error(`rebuild ${generation} is no longer the shadow (another rebuild replaced it)`);
          }
          await new Promise((resolve) => setTimeout(resolve, retireGraceMs));
          await deleteRetiredGenerations(db);
        },
        async abort(): Promise<void> {
          await sql`
            UPDATE index_state SET shadow_generation = NULL, shadow_started_at = NULL
            WHERE shadow_generation = ${generation}`.execute(db);
          await deleteRetiredGenerations(db);
        },
      };
    },
    async health() {
      try {
        const result = await sql<{ n: string }>`
          SELECT count(*) AS n FROM documents d, index_state s WHERE d.generation = s.live_generation`.execute(
          db,
        );
        return { ok: true, documents: Number(result.rows[0]?.n ?? 0) };
      } catch (err) {
        return { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    },
    async close(): Promise<void> {},
  };
}

export type PostgresSearchEngine = ReturnType<typeof createPostgresSearchEngine>;
