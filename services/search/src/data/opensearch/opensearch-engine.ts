// The OpenSearch search engine (ENGINE=opensearch): documents in an index behind an alias, guarded
// writes (guarded-writes.ts), queries built by search-request.ts, rebuilds into a new index and an
// alias swap (index-aliases.ts). It satisfies the SearchEngine port of src/app/ports/search-engine.ts
// structurally (data/ may not import app/); main.ts and the contract suite type it as that port.
import { Client } from "@opensearch-project/opensearch";
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
import { type DocumentSource, fromSource, mergeDocument, stockSource } from "./document-source.ts";
import { type ApplyItem, guardedWrite } from "./guarded-writes.ts";
import {
  createShadowIndex,
  dropIndex,
  ensureLiveIndex,
  indexNames,
  isNotFound,
  resolveIndexes,
  swapShadowIndex,
} from "./index-aliases.ts";
import { type SearchPass, searchBody, suggestBody } from "./search-request.ts";
import { correctedText, type RawSearchResponse, toSearchResult } from "./search-response.ts";

export interface OpenSearchEngineOptions {
  url: string;
  // The alias queries use; concrete indexes are named <index>-v<n>.
  index: string;
  // "true" (the default) makes every write visible to the next query, like the PostgreSQL engine;
  // "wait_for" waits for the next scheduled refresh instead of forcing one.
  refresh?: "true" | "wait_for" | undefined;
  // Per request (default 30 s): a 500-document bulk with a forced refresh takes seconds on a loaded node.
  // Retried writes are safe: a repeated create or sequence-guarded update conflicts and is decided again.
  requestTimeoutMs?: number | undefined;
}

const applyDocument: ApplyItem<SearchDocument & { sku: string }> = (stored, document) => {
  const next = mergeDocument(stored, document);
  return next === undefined ? { outcome: "stale" } : { outcome: "applied", next };
};

const applyStock: ApplyItem<StockUpdate> = (stored, update) => {
  if (stored === undefined) return { outcome: "missing" };
  if (update.stockVersion <= stored.stock_version) return { outcome: "stale" };
  return { outcome: "applied", next: { ...stored, ...stockSource(update.available, update.stockVersion) } };
};

const applyPrice: ApplyItem<PriceUpdate> = (stored, update) => {
  if (stored === undefined) return { outcome: "missing" };
  if (update.productVersion <= stored.product_version) return { outcome: "stale" };
  const next: DocumentSource = {
    ...stored,
    price_minor: update.price.amountMinor,
    currency: update.price.currency,
    product_version: update.productVersion,
  };
  return { outcome: "applied", next };
};

const applyRating: ApplyItem<RatingUpdate> = (stored, update) => {
  if (stored === undefined) return { outcome: "missing" };
  if (update.ratingVersion <= stored.rating_version) return { outcome: "stale" };
  const next: DocumentSource = {
    ...stored,
    rating_average: update.average,
    rating_count: update.count,
    rating_version: update.ratingVersion,
  };
  return { outcome: "applied", next };
};

const withSku = (documents: readonly SearchDocument[]) =>
  documents.map((d) => ({ ...d, sku: d.product.sku }));

// A write resolved before a swap may find its index dropped; it resolves the aliases again.
const WRITE_ATTEMPTS = 3;

export function createOpenSearchEngine(options: OpenSearchEngineOptions) {
  const client = new Client({
    node: options.url,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    maxRetries: 2,
  });
  const names = indexNames(options.index);
  const refresh = options.refresh ?? "true";
  let closing: Promise<void> | undefined;

  // Writes the live index and, during a rebuild, the shadow (seeded with the live document where the
  // shadow has none yet, so a write during a rebuild is never lost); outcomes are the live index's.
  async function write<T extends { sku: string }>(
    items: readonly T[],
    apply: ApplyItem<T>,
  ): Promise<WriteOutcome[]> {
    if (items.length === 0) return [];
    for (let attempt = 1; ; attempt++) {
      const targets = await resolveIndexes(client, names);
      try {
        const live = await guardedWrite(client, targets.live, items, apply, { refresh });
        if (targets.rebuild !== undefined) {
          try {
            await guardedWrite(client, targets.rebuild, items, apply, { refresh, seed: live.finals });
          } catch (error) {
            // The rebuild was aborted or swapped in meanwhile (then the next write finds it live).
            if (!isNotFound(error)) throw error;
          }
        }
        return live.outcomes;
      } catch (error) {
        if (!isNotFound(error) || attempt >= WRITE_ATTEMPTS) throw error;
      }
    }
  }

  async function runSearch(query: SearchQuery, pass: SearchPass) {
    const response = await client.search({ index: names.live, body: searchBody(query, pass) as never });
    const raw = response.body as unknown as RawSearchResponse;
    return {
      result: toSearchResult(raw, query),
      corrected: pass.withCorrection ? correctedText(raw, pass.text) : undefined,
    };
  }

  async function suggestions(prefix: string, limit: number, fuzzy: boolean): Promise<Suggestion[]> {
    const response = await client.search({
      index: names.live,
      body: suggestBody(prefix, limit, fuzzy) as never,
    });
    const hits = (response.body.hits.hits ?? []) as { _source?: Pick<DocumentSource, "sku" | "name"> }[];
    return hits.flatMap((hit) => (hit._source ? [{ text: hit._source.name, sku: hit._source.sku }] : []));
  }

  return {
    name: "opensearch" as const,

    async ensureReady(): Promise<void> {
      await ensureLiveIndex(client, names);
      await client.cluster.health({ index: names.live, wait_for_status: "yellow", timeout: "30s" });
    },

    upsertDocuments: (documents: readonly SearchDocument[]) => write(withSku(documents), applyDocument),
    updateStock: (updates: readonly StockUpdate[]) => write(updates, applyStock),
    updatePrice: (updates: readonly PriceUpdate[]) => write(updates, applyPrice),
    updateRating: (updates: readonly RatingUpdate[]) => write(updates, applyRating),

    async getDocuments(skus: readonly string[]): Promise<StoredDocument[]> {
      if (skus.length === 0) return [];
      const response = await client.mget({ index: names.live, body: { ids: [...skus] } });
      return response.body.docs.flatMap((doc) =>
        "found" in doc && doc.found && doc._source ? [fromSource(doc._source as DocumentSource)] : [],
      );
    },

    // Exact words first; when they match nothing, the words no document has are corrected (the hits
    // are then for the correction, which the result names), or else words may match with a typo.
    async search(query: SearchQuery): Promise<SearchResult> {
      const text = query.text;
      const exact = await runSearch(query, { text, fuzzy: false, withCorrection: true });
      if (exact.result.totalHits > 0 || text.trim() === "") return exact.result;
      const corrected = exact.corrected;
      const retried = await runSearch(query, { text: corrected ?? text, fuzzy: true, withCorrection: false });
      if (corrected === undefined) return retried.result;
      if (retried.result.totalHits === 0)
        return { ...retried.result, correctedQuery: corrected, noMatch: true };
      return { ...retried.result, correctedQuery: corrected, noMatch: false };
    },

    async suggest(prefix: string, limit: number): Promise<Suggestion[]> {
      const found = await suggestions(prefix, limit, false);
      return found.length > 0 ? found : suggestions(prefix, limit, true);
    },

    async beginRebuild() {
      const shadow = await createShadowIndex(client, names);
      return {
        id: shadow,
        // The fill is refreshed once, at the swap, rather than per batch.
        upsertDocuments: async (documents: readonly SearchDocument[]) =>
          (await guardedWrite(client, shadow, withSku(documents), applyDocument, { refresh: "false" }))
            .outcomes,
        swap: () => swapShadowIndex(client, names, shadow),
        abort: () => dropIndex(client, shadow),
      };
    },

    async health() {
      try {
        const response = await client.count({ index: names.live });
        return { ok: true, documents: response.body.count };
      } catch (error) {
        return { ok: false, detail: `OpenSearch at ${options.url}: ${(error as Error).message}` };
      }
    },

    // Once: the client's close never settles when called a second time.
    close: () => {
      closing ??= client.close();
      return closing;
    },
  };
}
