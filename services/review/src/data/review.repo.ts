// Review rows: one named query per need. Every function takes the executor it runs on (a transaction
// when the caller has one).
import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import type { Review, ReviewStatus } from "../domain/review.ts";
import type { ReviewDatabase, ReviewsTable } from "./database.ts";

export type Db = Kysely<ReviewDatabase> | Transaction<ReviewDatabase>;

export function reviewFromRow(row: Selectable<ReviewsTable>): Review {
  return {
    reviewId: row.review_id,
    sku: row.sku,
    customerId: row.customer_id,
    orderId: row.order_id,
    lineNumber: row.line_number,
    rating: row.rating,
    title: row.title,
    body: row.body,
    language: row.language,
    status: row.status,
    verified: row.verified,
    proofSource: row.proof_source,
    deliveredAt: row.delivered_at,
    purchaseReturned: row.purchase_returned,
    helpfulVotes: row.helpful_votes,
    moderationReason: row.moderation_reason,
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publishedAt: row.published_at,
  };
}

export interface NewReview {
  reviewId: string;
  sku: string;
  customerId: string;
  orderId: string | null;
  lineNumber: number | null;
  rating: number;
  title: string;
  body: string;
  bodyHash: string;
  language: string;
  status: ReviewStatus;
  verified: boolean;
  proofSource: Review["proofSource"];
  deliveredAt: Date | null;
  now: Date;
}

export async function insertReview(db: Db, review: NewReview): Promise<Review> {
  const row = await db
    .insertInto("reviews")
    .values({
      review_id: review.reviewId,
      sku: review.sku,
      customer_id: review.customerId,
      order_id: review.orderId,
      line_number: review.lineNumber,
      rating: review.rating,
      title: review.title,
      body: review.body,
      body_hash: review.bodyHash,
      language: review.language,
      status: review.status,
      verified: review.verified,
      proof_source: review.proofSource,
      delivered_at: review.deliveredAt,
      created_at: review.now,
      updated_at: review.now,
      published_at: review.status === "published" ? review.now : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return reviewFromRow(row);
}

export async function findReviewForUpdate(db: Db, reviewId: string): Promise<Review | undefined> {
  const row = await db
    .selectFrom("reviews")
    .selectAll()
    .where("review_id", "=", reviewId)
    .forUpdate()
    .executeTakeFirst();
  return row && reviewFromRow(row);
}

export async function findReview(db: Db, reviewId: string): Promise<Review | undefined> {
  const row = await db.selectFrom("reviews").selectAll().where("review_id", "=", reviewId).executeTakeFirst();
  return row && reviewFromRow(row);
}

export interface ReviewChanges {
  rating?: number;
  title?: string;
  body?: string;
  bodyHash?: string;
  language?: string;
  status?: ReviewStatus;
  purchaseReturned?: boolean;
  moderationReason?: string;
}

// Applies the changes and moves the version on; published_at is set the first time it is published.
export async function saveReviewChanges(
  db: Db,
  reviewId: string,
  changes: ReviewChanges,
  now: Date,
): Promise<Review> {
  const row = await db
    .updateTable("reviews")
    .set((eb) => ({
      ...(changes.rating !== undefined && { rating: changes.rating }),
      ...(changes.title !== undefined && { title: changes.title }),
      ...(changes.body !== undefined && { body: changes.body }),
      ...(changes.bodyHash !== undefined && { body_hash: changes.bodyHash }),
      ...(changes.language !== undefined && { language: changes.language }),
      ...(changes.status !== undefined && { status: changes.status }),
      ...(changes.purchaseReturned !== undefined && { purchase_returned: changes.purchaseReturned }),
      ...(changes.moderationReason !== undefined && { moderation_reason: changes.moderationReason }),
      ...(changes.status === "published" && {
        published_at: sql<Date>`coalesce(${eb.ref("published_at")}, ${now})`,
      }),
      version: sql<string>`version + 1`,
      updated_at: now,
    }))
    .where("review_id", "=", reviewId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return reviewFromRow(row);
}

// The live (not deleted) review of one customer on an order line, or their unproven one of a sku.
export async function findLiveReviewOf(
  db: Db,
  customerId: string,
  target: { orderId: string; lineNumber: number } | { sku: string },
): Promise<Review | undefined> {
  let query = db
    .selectFrom("reviews")
    .selectAll()
    .where("customer_id", "=", customerId)
    .where("status", "<>", "deleted");
  query =
    "orderId" in target
      ? query.where("order_id", "=", target.orderId).where("line_number", "=", target.lineNumber)
      : query.where("sku", "=", target.sku).where("order_id", "is", null);
  const row = await query.executeTakeFirst();
  return row && reviewFromRow(row);
}

// The id of a live review of the customer resting on an order line of the sku (of one order if given).
export async function findLiveProvenReviewOf(
  db: Db,
  customerId: string,
  sku: string,
  orderId: string | undefined,
): Promise<string | undefined> {
  let query = db
    .selectFrom("reviews")
    .select("review_id")
    .where("customer_id", "=", customerId)
    .where("sku", "=", sku)
    .where("order_id", "is not", null)
    .where("status", "<>", "deleted");
  if (orderId) query = query.where("order_id", "=", orderId);
  return (await query.limit(1).executeTakeFirst())?.review_id;
}

export async function countReviewsSince(db: Db, customerId: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom("reviews")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("customer_id", "=", customerId)
    .where("created_at", ">=", since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function hasBodySince(
  db: Db,
  customerId: string,
  bodyHash: string,
  since: Date,
  exceptReviewId?: string,
): Promise<boolean> {
  let query = db
    .selectFrom("reviews")
    .select("review_id")
    .where("customer_id", "=", customerId)
    .where("body_hash", "=", bodyHash)
    .where("created_at", ">=", since);
  if (exceptReviewId) query = query.where("review_id", "<>", exceptReviewId);
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}

// Live reviews resting on an order line whose purchase is not yet marked returned, locked.
export async function lockUnreturnedReviewsOfLine(
  db: Db,
  orderId: string,
  lineNumber: number,
): Promise<Review[]> {
  const rows = await db
    .selectFrom("reviews")
    .selectAll()
    .where("order_id", "=", orderId)
    .where("line_number", "=", lineNumber)
    .where("purchase_returned", "=", false)
    .where("status", "<>", "deleted")
    .orderBy("review_id")
    .forUpdate()
    .execute();
  return rows.map(reviewFromRow);
}

// One customer's reviews are written one at a time (abuse limits and one-per-line checks then see every
// earlier write): a transaction-scoped advisory lock on the customer.
export async function lockCustomer(db: Db, customerId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`review:customer:${customerId}`}, 0))`.execute(
    db,
  );
}

export async function addHelpfulVote(db: Db, reviewId: string, customerId: string): Promise<boolean> {
  const inserted = await db
    .insertInto("review_helpful_votes")
    .values({ review_id: reviewId, customer_id: customerId })
    .onConflict((oc) => oc.doNothing())
    .returning("review_id")
    .executeTakeFirst();
  if (!inserted) return false;
  await db
    .updateTable("reviews")
    .set({ helpful_votes: sql<number>`helpful_votes + 1` })
    .where("review_id", "=", reviewId)
    .execute();
  return true;
}
