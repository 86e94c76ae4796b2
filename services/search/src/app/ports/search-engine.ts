// The port every search engine implements (PostgreSQL in src/data/postgres, OpenSearch in
// src/data/opensearch). The service keeps the event log, the per-warehouse stock levels and their
// per-sku sums in its own PostgreSQL schema and hands the engine absolute values with versions; the
// engine applies a write only when its version is newer than what the document holds, so duplicate,
// overtaken and replayed writes change nothing whichever engine runs. test/engine-contract.ts is the
// behaviour each engine must show.
import type {
  PriceUpdate,
  RatingUpdate,
  SearchDocument,
  SearchQuery,
  SearchResult,
  StockUpdate,
  StoredDocument,
  Suggestion,
  WriteOutcome,
} from "../../domain/search-document.ts";

// Engines live in data/, which may not import app/: they throw the domain's InvalidSortKeyError and
// satisfy this interface structurally (main.ts and the contract suite assign them to SearchEngine).
export { InvalidSortKeyError } from "../../domain/search-errors.ts";

export interface EngineHealth {
  ok: boolean;
  // What is wrong when not ok (unreachable, index missing, ...).
  detail?: string | undefined;
  // Documents in the live index.
  documents?: number | undefined;
}

// A new index being filled while queries keep being served from the live one. While it exists, every
// write through the engine (upsertDocuments, updateStock, updatePrice, updateRating) goes to both, with
// the same guards, so nothing written during a rebuild is lost at the swap: a snapshot older than what an
// event already wrote is refused by the version guard.
export interface ShadowIndex {
  readonly id: string;
  // Fill the shadow (guarded per document like upsertDocuments).
  upsertDocuments(documents: readonly SearchDocument[]): Promise<WriteOutcome[]>;
  // Makes the shadow the live index in one step (queries see the old one or the new one, never a mix)
  // and drops the old one.
  swap(): Promise<void>;
  // Drops the shadow; the live index stays as it was.
  abort(): Promise<void>;
}

export interface SearchEngine {
  readonly name: "postgres" | "opensearch";
  // Creates what the engine needs (index, mappings) if missing; safe to call on every start.
  ensureReady(): Promise<void>;

  // Per document: the product part is replaced when its productVersion is newer than the stored one (or
  // nothing is stored), the stock part when its stockVersion is newer, the rating when its ratingVersion
  // is newer; "applied" if any part was, else "stale". One outcome per document, in order.
  upsertDocuments(documents: readonly SearchDocument[]): Promise<WriteOutcome[]>;
  // Partial updates of existing documents, each guarded by its version; "missing" when there is no
  // document for the sku (the next upsert carries the current values).
  updateStock(updates: readonly StockUpdate[]): Promise<WriteOutcome[]>;
  updatePrice(updates: readonly PriceUpdate[]): Promise<WriteOutcome[]>;
  updateRating(updates: readonly RatingUpdate[]): Promise<WriteOutcome[]>;
  // Stored documents by sku, whatever their status (missing skus are left out).
  getDocuments(skus: readonly string[]): Promise<StoredDocument[]>;

  // Only active products match. Throws InvalidSortKeyError for an `after` this engine did not produce.
  search(query: SearchQuery): Promise<SearchResult>;
  // Active products whose name starts with (or, failing that, nearly matches) the prefix.
  suggest(prefix: string, limit: number): Promise<Suggestion[]>;

  // Starts a rebuild; only one at a time (a second call aborts an unfinished earlier one first).
  beginRebuild(): Promise<ShadowIndex>;
  health(): Promise<EngineHealth>;
  close(): Promise<void>;
}
