// Per-sku rating aggregates. A change is one upsert adding a delta (the row lock serialises writers of
// one sku) and moving the version on; the CHECKs keep counts, sums and histograms in agreement.
import { type Selectable, sql } from "kysely";
import {
  type FiguresDelta,
  figuresFromHistogram,
  type Histogram,
  type RatingFigures,
} from "../domain/rating-figures.ts";
import type { RatingAggregatesTable } from "./database.ts";
import type { Db } from "./review.repo.ts";

function figuresFromRow(row: Selectable<RatingAggregatesTable>): RatingFigures {
  const all: Histogram = [row.all_1, row.all_2, row.all_3, row.all_4, row.all_5].map(Number) as Histogram;
  const verified: Histogram = [
    row.verified_1,
    row.verified_2,
    row.verified_3,
    row.verified_4,
    row.verified_5,
  ].map(Number) as Histogram;
  return {
    sku: row.sku,
    all: figuresFromHistogram(all),
    verified: figuresFromHistogram(verified),
    version: Number(row.version),
    updatedAt: row.updated_at,
  };
}

export async function addToRatingFigures(
  db: Db,
  sku: string,
  delta: FiguresDelta,
  now: Date,
): Promise<RatingFigures> {
  const all = figuresFromHistogram([...delta.all]);
  const verified = figuresFromHistogram([...delta.verified]);
  const [a1, a2, a3, a4, a5] = delta.all;
  const [v1, v2, v3, v4, v5] = delta.verified;
  const { rows } = await sql<Selectable<RatingAggregatesTable>>`
    INSERT INTO rating_aggregates AS r (sku, all_count, all_sum, all_1, all_2, all_3, all_4, all_5,
      verified_count, verified_sum, verified_1, verified_2, verified_3, verified_4, verified_5, version, updated_at)
    VALUES (${sku}, ${all.count}, ${all.sum}, ${a1}, ${a2}, ${a3}, ${a4}, ${a5},
      ${verified.count}, ${verified.sum}, ${v1}, ${v2}, ${v3}, ${v4}, ${v5}, 1, ${now})
    ON CONFLICT (sku) DO UPDATE SET
      all_count = r.all_count + EXCLUDED.all_count, all_sum = r.all_sum + EXCLUDED.all_sum,
      all_1 = r.all_1 + EXCLUDED.all_1, all_2 = r.all_2 + EXCLUDED.all_2, all_3 = r.all_3 + EXCLUDED.all_3,
      all_4 = r.all_4 + EXCLUDED.all_4, all_5 = r.all_5 + EXCLUDED.all_5,
      verified_count = r.verified_count + EXCLUDED.verified_count,
      verified_sum = r.verified_sum + EXCLUDED.verified_sum,
      verified_1 = r.verified_1 + EXCLUDED.verified_1, verified_2 = r.verified_2 + EXCLUDED.verified_2,
      verified_3 = r.verified_3 + EXCLUDED.verified_3, verified_4 = r.verified_4 + EXCLUDED.verified_4,
      verified_5 = r.verified_5 + EXCLUDED.verified_5,
      version = r.version + 1, updated_at = EXCLUDED.updated_at
    RETURNING *`.execute(db);
  const row = rows[0];
  if (!row) throw new Error(`rating_aggregates upsert for ${sku} returned no row`);
  return figuresFromRow(row);
}

export async function findRatingFigures(
  db: Db,
  skus: readonly string[],
): Promise<Map<string, RatingFigures>> {
  if (skus.length === 0) return new Map();
  const rows = await db
    .selectFrom("rating_aggregates")
    .selectAll()
    .where("sku", "in", [...skus])
    .execute();
  return new Map(rows.map((row) => [row.sku, figuresFromRow(row)]));
}
