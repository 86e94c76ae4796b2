// A review and the rules of its life: statuses and the moves between them, what it contributes to its
// sku's rating figures, and the text rules the database CHECKs repeat.
import { createHash } from "node:crypto";

export const REVIEW_STATUSES = ["pending", "published", "rejected", "deleted"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const LANGUAGE_PATTERN = /^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*)?$/;
export const MIN_RATING = 1;
export const MAX_RATING = 5;
export const MAX_TITLE_LENGTH = 150;
export const MAX_BODY_LENGTH = 5_000;
export const MAX_REASON_LENGTH = 500;

export type ProofSource = "projection" | "order_service";

export interface PurchaseProof {
  orderId: string;
  lineNumber: number;
  deliveredAt: Date | null;
  source: ProofSource;
}

export interface Review {
  reviewId: string;
  sku: string;
  customerId: string;
  // The order line the review is about; null for an unproven review.
  orderId: string | null;
  lineNumber: number | null;
  rating: number;
  title: string;
  body: string;
  language: string;
  status: ReviewStatus;
  verified: boolean;
  proofSource: ProofSource | null;
  deliveredAt: Date | null;
  purchaseReturned: boolean;
  helpfulVotes: number;
  moderationReason: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
}

// Where a review counts: in the "all" figures when published, and in the verified ones when it also
// rests on a purchase whose units were not all returned.
export interface Contribution {
  rating: number;
  all: boolean;
  verified: boolean;
}

export function contributionOf(review: Pick<Review, "status" | "verified" | "purchaseReturned" | "rating">) {
  const all = review.status === "published";
  return { rating: review.rating, all, verified: all && review.verified && !review.purchaseReturned };
}

// The status moves each actor may make; anything else is an invalid state transition.
const MODERATOR_MOVES: Record<"approve" | "reject", readonly ReviewStatus[]> = {
  approve: ["pending"],
  reject: ["pending", "published"],
};

export function canModerate(action: "approve" | "reject", status: ReviewStatus): boolean {
  return MODERATOR_MOVES[action].includes(status);
}

// The author may change or delete a review until it is deleted; a rejected review stays rejected
// until a moderator looks at it again (an edit sends it back to moderation).
export function canAuthorChange(status: ReviewStatus): boolean {
  return status !== "deleted";
}

// After an author's edit: an unverified (or rejected) review goes back to moderation; a verified
// published one stays published.
export function statusAfterEdit(review: Pick<Review, "status" | "verified">): ReviewStatus {
  if (review.status === "published" && review.verified) return "published";
  return "pending";
}

// Case, surrounding and repeated whitespace do not make a body different.
export function normalizeBody(body: string): string {
  return body.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();
}

export function bodyHashOf(body: string): string {
  return createHash("sha256").update(normalizeBody(body)).digest("hex");
}

export function isValidSku(sku: string): boolean {
  return SKU_PATTERN.test(sku);
}
