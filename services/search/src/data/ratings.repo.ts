// The review service's rating figures per sku as the search service last saw them (sku_ratings): moved
// only to a newer summary version, and read back for every product document written (events and
// rebuilds), so a document never loses a rating that arrived before it.
import type { Kysely, Transaction } from "kysely";
import type { RatingFields } from "../domain/search-document.ts";
import type { SkuRating } from "../domain/sku-rating.ts";
import type { SearchDatabase } from "./database.ts";

type Db = Kysely<SearchDatabase> | Transaction<SearchDatabase>;

// Inserts or moves the rating forward; false when the stored summary is as new or newer.
export async function upsertRatingIfNewer(db: Db, rating: SkuRating): Promise<boolean> {
  const result = await db
    .insertInto("sku_ratings")
    .values({
      sku: rating.sku,
      average: rating.average,
      review_count: rating.count,
      summary_version: rating.ratingVersion,
      updated_at: rating.updatedAt,
    })
    .onConflict((oc) =>
      oc
        .column("sku")
        .doUpdateSet((eb) => ({
          average: eb.ref("excluded.average"),
          review_count: eb.ref("excluded.review_count"),
          summary_version: eb.ref("excluded.summary_version"),
          updated_at: eb.ref("excluded.updated_at"),
          applied_at: new Date(),
        }))
        .where("sku_ratings.summary_version", "<", (eb) => eb.ref("excluded.summary_version")),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

// The stored ratings of the skus (skus without one are left out).
export async function ratingsOf(db: Db, skus: readonly string[]): Promise<Map<string, RatingFields>> {
  if (skus.length === 0) return new Map();
  const rows = await db
    .selectFrom("sku_ratings")
    .select(["sku", "average", "review_count", "summary_version"])
    .where("sku", "in", [...new Set(skus)])
    .execute();
  return new Map(
    rows.map((r) => [
      r.sku,
      { average: r.average, count: Number(r.review_count), ratingVersion: Number(r.summary_version) },
    ]),
  );
}
