// How a deployment treats unproven purchases, and its abuse limits (from config).
export interface ReviewPolicy {
  // refuse: SubmitReview fails with PURCHASE_NOT_VERIFIED; moderate: kept unverified, held pending.
  unverified: "refuse" | "moderate";
  // Reviews one customer may submit in any rolling 24 hours.
  maxReviewsPerDay: number;
  // The same (normalised) body from one customer is refused again within this window.
  duplicateBodyWindowMs: number;
}

export const DEFAULT_REVIEW_POLICY: ReviewPolicy = {
  unverified: "refuse",
  maxReviewsPerDay: 10,
  duplicateBodyWindowMs: 30 * 24 * 3_600_000,
};
