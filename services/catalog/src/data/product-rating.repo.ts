// The rating projection: one row per sku holding the newest rating summary the review service reported.
import { sql } from "kysely";
import type { SkuRating } from "../domain/product-rating.ts";
import type { Db } from "./product.repo.ts";

// Writes the figures unless the row already holds this summary version or a newer one (then false).
export async function upsertRatingIfNewer(db: Db, rating: SkuRating): Promise<boolean> {
  const { rows } = await sql<{ sku: string }>`
    INSERT INTO product_ratings AS r (sku, review_count, average_rating, verified_review_count,
      verified_average_rating, summary_version, updated_at)
    VALUES (${rating.sku}, ${rating.reviewCount}, ${rating.averageRating}, ${rating.verifiedReviewCount},
      ${rating.verifiedAverageRating}, ${rating.summaryVersion}, ${rating.updatedAt})
    ON CONFLICT (sku) DO UPDATE SET
      review_count = EXCLUDED.review_count, average_rating = EXCLUDED.average_rating,
      verified_review_count = EXCLUDED.verified_review_count,
      verified_average_rating = EXCLUDED.verified_average_rating,
      summary_version = EXCLUDED.summary_version, updated_at = EXCLUDED.updated_at, applied_at = now()
    WHERE r.summary_version < EXCLUDED.summary_version
    RETURNING sku`.execute(db);
  return rows.length > 0;
}
