// Applies one rating summary (a RatingSummaryChanged event's, decoded by the rating events consumer) to
// the index, in the consumer's transaction: the sku's stored rating moves only to a newer summary version
// (duplicates and overtaken deliveries change nothing), and the engine gets it as a guarded partial
// update. Under the sku's row lock (the one product writes take), so a product document written at the
// same time either reads this rating or is already there to receive it.
import type { Transaction } from "kysely";
import type { SearchDatabase } from "../data/database.ts";
import { upsertRatingIfNewer } from "../data/ratings.repo.ts";
import { lockSkuStock } from "../data/stock.repo.ts";
import type { WriteOutcome } from "../domain/search-document.ts";
import type { SkuRating } from "../domain/sku-rating.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export type RatingApplyOutcome =
  // Stored; the engine's outcome ("missing" when no product document exists yet: its upsert reads it).
  | { outcome: "applied"; sku: string; engine: WriteOutcome }
  // The stored summary is as new or newer.
  | { outcome: "stale"; sku: string };

export function applyRatingSummaryChangedUseCase(deps: Pick<UseCaseDeps, "engine">) {
  return async function applyRatingSummaryChanged(
    trx: Transaction<SearchDatabase>,
    rating: SkuRating,
  ): Promise<RatingApplyOutcome> {
    const sku = rating.sku;
    await lockSkuStock(trx, [sku]);
    if (!(await upsertRatingIfNewer(trx, rating))) return { outcome: "stale", sku };
    const [engine] = await deps.engine.updateRating([
      { sku, average: rating.average, count: rating.count, ratingVersion: rating.ratingVersion },
    ]);
    return { outcome: "applied", sku, engine: engine ?? "missing" };
  };
}
