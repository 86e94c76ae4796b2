// Applies one rating summary (a RatingSummaryChanged event's, decoded by the rating events consumer) to
// the rating projection. The row moves only forward (newer summary version), so duplicates and
// out-of-order deliveries change nothing; the cache is told the sku's projection moved on, as for stock.
import type { Transaction } from "kysely";
import type { CatalogDatabase } from "../data/database.ts";
import { upsertRatingIfNewer } from "../data/product-rating.repo.ts";
import { projectionVersion } from "../data/product-view.repo.ts";
import type { SkuRating } from "../domain/product-rating.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export type RatingApplyOutcome =
  | { outcome: "applied"; sku: string; projectionVersion: number }
  | { outcome: "stale"; sku: string };

export function applyRatingSummaryChangedUseCase(deps: Pick<UseCaseDeps, "cache">) {
  return async function applyRatingSummaryChanged(
    trx: Transaction<CatalogDatabase>,
    rating: SkuRating,
  ): Promise<RatingApplyOutcome> {
    if (!(await upsertRatingIfNewer(trx, rating))) return { outcome: "stale", sku: rating.sku };
    const version = await projectionVersion(trx, rating.sku);
    // Before commit on purpose, as applyStockLevelChanged explains.
    await deps.cache?.invalidate(rating.sku, version);
    return { outcome: "applied", sku: rating.sku, projectionVersion: version };
  };
}
