// Reads: published reviews of a sku for storefronts, rating figures of skus, and reviews by status (the
// moderation queue among them) for ops. One row more than the page says whether another page exists.
import { listModerationHistory, type ModerationEntry } from "../data/moderation.repo.ts";
import { findRatingFigures } from "../data/rating.repo.ts";
import { findReview } from "../data/review.repo.ts";
import {
  cursorOf,
  listPublishedReviews,
  listReviewsByStatus,
  type PublishedSort,
  type ReviewCursor,
  type StatusCursor,
} from "../data/review-list.repo.ts";
import type { RatingFigures } from "../domain/rating-figures.ts";
import type { Review, ReviewStatus } from "../domain/review.ts";
import { reviewNotFound } from "./author-changes.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export type { PublishedSort, ReviewCursor, StatusCursor };

export interface Page<C> {
  reviews: Review[];
  next: C | undefined;
}

export function listReviewsUseCase(deps: Pick<UseCaseDeps, "db">) {
  return async function listReviews(query: {
    sku: string;
    sort: PublishedSort;
    verifiedOnly: boolean;
    after?: ReviewCursor | undefined;
    pageSize: number;
  }): Promise<Page<ReviewCursor>> {
    const rows = await listPublishedReviews(deps.db, { ...query, limit: query.pageSize + 1 });
    const reviews = rows.slice(0, query.pageSize);
    const last = reviews.at(-1);
    return { reviews, next: rows.length > query.pageSize && last ? cursorOf(query.sort, last) : undefined };
  };
}

export function getRatingSummariesUseCase(deps: Pick<UseCaseDeps, "db">) {
  return async function getRatingSummaries(
    skus: readonly string[],
  ): Promise<{ sku: string; figures: RatingFigures | undefined }[]> {
    const unique = [...new Set(skus)];
    const figures = await findRatingFigures(deps.db, unique);
    return unique.map((sku) => ({ sku, figures: figures.get(sku) }));
  };
}

export function listReviewsByStatusUseCase(deps: Pick<UseCaseDeps, "db">) {
  return async function listByStatus(query: {
    status: ReviewStatus;
    sku?: string | undefined;
    oldestFirst: boolean;
    after?: StatusCursor | undefined;
    pageSize: number;
  }): Promise<Page<StatusCursor>> {
    const rows = await listReviewsByStatus(deps.db, { ...query, limit: query.pageSize + 1 });
    const reviews = rows.slice(0, query.pageSize);
    const last = reviews.at(-1);
    return {
      reviews,
      next:
        rows.length > query.pageSize && last
          ? { createdAt: last.createdAt, reviewId: last.reviewId }
          : undefined,
    };
  };
}

export function getReviewUseCase(deps: Pick<UseCaseDeps, "db">) {
  return async function getReview(reviewId: string): Promise<{ review: Review; history: ModerationEntry[] }> {
    const review = await findReview(deps.db, reviewId);
    if (!review) throw reviewNotFound(reviewId);
    return { review, history: await listModerationHistory(deps.db, reviewId) };
  };
}
