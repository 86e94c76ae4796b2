// RebuildIndex: a full reindex from the catalog's and the warehouse's APIs into a shadow index while
// queries keep being served from the live one; the swap happens once every page is in. The levels read
// go through the same guarded path as stock events (so an API answer older than an applied event changes
// nothing), and each page is written under its skus' stock locks, so a stock event for one of them waits
// and then updates the shadow's fresh document. Ratings are not read from the review service: every
// document carries the rating the service keeps from RatingSummaryChanged events (sku_ratings), read
// under the same locks, so a rebuild keeps them. Progress is recorded per page in rebuild_runs.
import { randomUUID } from "node:crypto";
import { ErrorReason, failedPrecondition, notFound, unavailable } from "@stockroom/errors";
import { ratingsOf } from "../data/ratings.repo.ts";
import {
  failStaleRuns,
  findRun,
  findRunByKey,
  findRunningRun,
  finishRun,
  insertRunningRun,
  recordPage,
} from "../data/rebuild-runs.repo.ts";
import { lockSkuStock, recomputeSkuStock, upsertLevelIfNewer } from "../data/stock.repo.ts";
import { REBUILD_HEARTBEAT_TIMEOUT_MS, type RebuildRun } from "../domain/rebuild-run.ts";
import type { SearchDocument, StockUpdate } from "../domain/search-document.ts";
import type { RebuildSources } from "./ports/rebuild-sources.ts";
import type { ShadowIndex } from "./ports/search-engine.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface RebuildLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RebuildSettings {
  sources?: RebuildSources | undefined;
  pageSize: number;
  logger: RebuildLogger;
}

async function indexPage(
  deps: UseCaseDeps,
  shadow: ShadowIndex,
  sources: RebuildSources,
  pageToken: string,
  pageSize: number,
) {
  const page = await sources.listProducts(pageToken, pageSize);
  const skus = page.products.map((p) => p.sku);
  const levels = skus.length > 0 ? await sources.fetchLevels(skus) : [];
  await deps.transaction(async (trx) => {
    await lockSkuStock(trx, skus);
    for (const level of levels) await upsertLevelIfNewer(trx, level);
    const ratings = await ratingsOf(trx, skus);
    const documents: SearchDocument[] = [];
    const moved: StockUpdate[] = [];
    for (const product of page.products) {
      const { stock, changed } = await recomputeSkuStock(trx, product.sku);
      documents.push({ product, stock, rating: ratings.get(product.sku) });
      if (changed) moved.push({ sku: product.sku, ...stock });
    }
    await shadow.upsertDocuments(documents);
    // A level newer than the live index knew also corrects the live index (and the shadow, as stale).
    if (moved.length > 0) await deps.engine.updateStock(moved);
  });
  return { products: page.products.length, nextPageToken: page.nextPageToken };
}

export function rebuildIndexUseCase(deps: UseCaseDeps, settings: RebuildSettings) {
  const running = new Set<Promise<void>>();

  async function run(runId: string, sources: RebuildSources): Promise<void> {
    let shadow: ShadowIndex | undefined;
    try {
      shadow = await deps.engine.beginRebuild();
      let token = "";
      do {
        const page = await indexPage(deps, shadow, sources, token, settings.pageSize);
        await recordPage(deps.db, runId, page.products);
        token = page.nextPageToken;
      } while (token !== "");
      await shadow.swap();
      await finishRun(deps.db, runId, { state: "completed" });
      settings.logger.info({ runId }, "search index rebuilt");
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      settings.logger.error({ runId, err: message }, "search index rebuild failed");
      await shadow?.abort().catch(() => undefined);
      await finishRun(deps.db, runId, { state: "failed", error: message });
    }
  }

  return {
    async rebuildIndex(command: { idempotencyKey: string }): Promise<RebuildRun> {
      const existing = await findRunByKey(deps.db, command.idempotencyKey);
      if (existing) return existing;
      const sources = settings.sources;
      if (!sources) throw unavailable("rebuilds need CATALOG_GRPC_ADDRESS and WAREHOUSE_GRPC_ADDRESS");
      await failStaleRuns(deps.db, new Date(deps.clock().getTime() - REBUILD_HEARTBEAT_TIMEOUT_MS));
      const inserted = await insertRunningRun(deps.db, {
        id: randomUUID(),
        idempotencyKey: command.idempotencyKey,
        engine: deps.engine.name,
      });
      if (!inserted) {
        // The key raced with the same request, or another rebuild is running.
        const raced = await findRunByKey(deps.db, command.idempotencyKey);
        if (raced) return raced;
        const other = await findRunningRun(deps.db);
        throw failedPrecondition(
          ErrorReason.REBUILD_IN_PROGRESS,
          `rebuild ${other?.id ?? "(another)"} is running; wait for it to finish`,
        );
      }
      const job = run(inserted.id, sources).finally(() => running.delete(job));
      running.add(job);
      return inserted;
    },
    async getRebuild(id: string): Promise<RebuildRun> {
      const found = await findRun(deps.db, id);
      if (!found) throw notFound(ErrorReason.REBUILD_NOT_FOUND, `no rebuild ${id}`);
      return found;
    },
    // Waits for the rebuilds this process runs (shutdown, tests).
    async drain(): Promise<void> {
      await Promise.all([...running]);
    },
  };
}
