// The one path every review change takes, inside the transaction that made it: the moderation history
// (on a status change), the sku's rating figures (by the change of the review's contribution) and the
// events (the review published or unpublished, the figures changed) — so the aggregates cannot drift
// from the reviews, and nothing changes without its event.
import { appendToOutbox, type OutboxEvent } from "@stockroom/outbox";
import type { Transaction } from "kysely";
import type { ReviewDatabase } from "../data/database.ts";
import { appendModerationEntry } from "../data/moderation.repo.ts";
import { addToRatingFigures } from "../data/rating.repo.ts";
import { contributionDelta, isZeroDelta, type RatingFigures } from "../domain/rating-figures.ts";
import { contributionOf, type Review } from "../domain/review.ts";
import { ratingSummaryChanged, reviewPublished, reviewUnpublished } from "./review-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface ReviewChange {
  before: Review | null;
  after: Review;
  // Kept in the moderation history with a status change.
  reason?: string | undefined;
}

export async function recordReviewChange(
  trx: Transaction<ReviewDatabase>,
  deps: Pick<UseCaseDeps, "topic" | "clock">,
  change: ReviewChange,
  context: RequestContext,
): Promise<RatingFigures | undefined> {
  const { before, after } = change;
  const events: OutboxEvent[] = [];
  if (before?.status !== after.status) {
    await appendModerationEntry(trx, after.reviewId, {
      fromStatus: before?.status ?? null,
      toStatus: after.status,
      actor: context.actor,
      reason: change.reason ?? "",
      reviewVersion: after.version,
      at: after.updatedAt,
    });
  }
  if (after.status === "published") events.push(reviewPublished(deps.topic, after));
  else if (before?.status === "published") events.push(reviewUnpublished(deps.topic, after, before.status));
  const delta = contributionDelta(before && contributionOf(before), contributionOf(after));
  let figures: RatingFigures | undefined;
  if (!isZeroDelta(delta)) {
    figures = await addToRatingFigures(trx, after.sku, delta, deps.clock());
    events.push(ratingSummaryChanged(deps.topic, figures));
  }
  await appendToOutbox(trx, context, events);
  return figures;
}
