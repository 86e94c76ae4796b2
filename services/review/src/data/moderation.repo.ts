// The moderation history: every status change of a review, appended in the transaction that made it.
import type { ReviewStatus } from "../domain/review.ts";
import type { Db } from "./review.repo.ts";

export interface ModerationEntry {
  fromStatus: ReviewStatus | null;
  toStatus: ReviewStatus;
  actor: string;
  reason: string;
  reviewVersion: number;
  at: Date;
}

export async function appendModerationEntry(db: Db, reviewId: string, entry: ModerationEntry): Promise<void> {
  await db
    .insertInto("moderation_history")
    .values({
      review_id: reviewId,
      from_status: entry.fromStatus,
      to_status: entry.toStatus,
      actor: entry.actor,
      reason: entry.reason,
      review_version: entry.reviewVersion,
      at: entry.at,
    })
    .execute();
}

export async function listModerationHistory(db: Db, reviewId: string): Promise<ModerationEntry[]> {
  const rows = await db
    .selectFrom("moderation_history")
    .selectAll()
    .where("review_id", "=", reviewId)
    .orderBy("id")
    .execute();
  return rows.map((row) => ({
    fromStatus: row.from_status,
    toStatus: row.to_status,
    actor: row.actor,
    reason: row.reason,
    reviewVersion: Number(row.review_version),
    at: row.at,
  }));
}
