// Per-sku rating aggregates. A change adds a delta to the sku's row (its row lock serialises writers of
// one sku) and moves the version on; the CHECKs keep counts, sums and histograms in agreement.
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
  // The row first (zeros: a negative delta in INSERT's VALUES would fail its CHECKs before any
  // conflict), then the delta under the row lock.
  await db
    .insertInto("rating_aggregates")
    .values({ sku, updated_at: now })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const { rows } = await sql<Selectable<RatingAggregatesTable>>`
    UPDATE rating_aggregates SET
      all_count = all_count + ${all.count}, all_sum = all_sum + ${all.sum},
      all_1 = all_1 + ${a1}, all_2 = all_2 + ${a2}, all_3 = all_3 + ${a3}, all_4 = all_4 + ${a4}, all_5 = all_5 + ${a5},
      verified_count = verified_count + ${verified.count}, verified_sum = verified_sum + ${verified.sum},
      verified_1 = verified_1 + ${v1}, verified_2 = verified_2 + ${v2}, verified_3 = verified_3 + ${v3},
      verified_4 = verified_4 + ${v4}, verified_5 = verified_5 + ${v5},
      version = version + 1, updated_at = ${now}
    WHERE sku = ${sku}
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
