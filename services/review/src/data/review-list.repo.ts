// Pages of reviews by keyset: published reviews of a sku in one of three orders, and reviews by status
// for ops. Every timestamp is written from the service's clock (millisecond precision), so the cursor's
// values compare exactly.
import { sql } from "kysely";
import type { Review, ReviewStatus } from "../domain/review.ts";
import { type Db, reviewFromRow } from "./review.repo.ts";

export type PublishedSort = "newest" | "rating" | "helpfulness";

// The last row of a page, in the sort's key order.
export type ReviewCursor =
  | { sort: "newest"; publishedAt: Date; reviewId: string }
  | { sort: "rating"; rating: number; publishedAt: Date; reviewId: string }
  | { sort: "helpfulness"; helpfulVotes: number; publishedAt: Date; reviewId: string };

export function cursorOf(sort: PublishedSort, review: Review): ReviewCursor {
  const publishedAt = review.publishedAt ?? review.createdAt;
  if (sort === "rating") return { sort, rating: review.rating, publishedAt, reviewId: review.reviewId };
  if (sort === "helpfulness")
    return { sort, helpfulVotes: review.helpfulVotes, publishedAt, reviewId: review.reviewId };
  return { sort, publishedAt, reviewId: review.reviewId };
}

export async function listPublishedReviews(
  db: Db,
  query: {
    sku: string;
    sort: PublishedSort;
    verifiedOnly: boolean;
    after?: ReviewCursor | undefined;
    limit: number;
  },
): Promise<Review[]> {
  // The status as a literal, not a parameter: a generic plan could not use the partial indexes.
  let select = db
    .selectFrom("reviews")
    .selectAll()
    .where("sku", "=", query.sku)
    .where("status", "=", sql.lit("published"));
  if (query.verifiedOnly) select = select.where("verified", "=", true);
  const after = query.after;
  if (after) {
    select = select.where(
      after.sort === "rating"
        ? sql<boolean>`(rating, published_at, review_id) < (${after.rating}, ${after.publishedAt}, ${after.reviewId}::uuid)`
        : after.sort === "helpfulness"
          ? sql<boolean>`(helpful_votes, published_at, review_id) < (${after.helpfulVotes}, ${after.publishedAt}, ${after.reviewId}::uuid)`
          : sql<boolean>`(published_at, review_id) < (${after.publishedAt}, ${after.reviewId}::uuid)`,
    );
  }
  if (query.sort === "rating") select = select.orderBy("rating", "desc");
  if (query.sort === "helpfulness") select = select.orderBy("helpful_votes", "desc");
  const rows = await select
    .orderBy("published_at", "desc")
    .orderBy("review_id", "desc")
    .limit(query.limit)
    .execute();
  return rows.map(reviewFromRow);
}

export interface StatusCursor {
  createdAt: Date;
  reviewId: string;
}

// Reviews in one status: oldest first (the moderation queue) or newest first.
export async function listReviewsByStatus(
  db: Db,
  query: {
    status: ReviewStatus;
    sku?: string | undefined;
    oldestFirst: boolean;
    after?: StatusCursor | undefined;
    limit: number;
  },
): Promise<Review[]> {
  let select = db.selectFrom("reviews").selectAll().where("status", "=", query.status);
  if (query.sku) select = select.where("sku", "=", query.sku);
  const after = query.after;
  if (after) {
    select = select.where(
      query.oldestFirst
        ? sql<boolean>`(created_at, review_id) > (${after.createdAt}, ${after.reviewId}::uuid)`
        : sql<boolean>`(created_at, review_id) < (${after.createdAt}, ${after.reviewId}::uuid)`,
    );
  }
  const direction = query.oldestFirst ? "asc" : "desc";
  const rows = await select
    .orderBy("created_at", direction)
    .orderBy("review_id", direction)
    .limit(query.limit)
    .execute();
  return rows.map(reviewFromRow);
}
