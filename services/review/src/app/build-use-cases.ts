// Every review use case, built once from the same deps: main.ts serves these, and the tests call these,
// so what is tested is what runs. Grouped by caller: ReviewService, ReviewAdminService and the
// order-events consumer.
import { applyOrderSnapshotUseCase } from "./apply-order-event.ts";
import { deleteReviewUseCase, editReviewUseCase, voteReviewHelpfulUseCase } from "./author-changes.ts";
import { approveReviewUseCase, rejectReviewUseCase } from "./moderate-review.ts";
import {
  getRatingSummariesUseCase,
  getReviewUseCase,
  listReviewsByStatusUseCase,
  listReviewsUseCase,
} from "./read-reviews.ts";
import { submitReviewUseCase } from "./submit-review.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface UseCaseSettings {
  // Told of every failed VerifyPurchase call (the review then is not verified).
  onVerifyError?: (err: unknown) => void;
}

export function buildUseCases(deps: UseCaseDeps, settings: UseCaseSettings = {}) {
  return {
    reviews: {
      submitReview: submitReviewUseCase(deps, settings),
      editReview: editReviewUseCase(deps),
      deleteReview: deleteReviewUseCase(deps),
      voteReviewHelpful: voteReviewHelpfulUseCase(deps),
      listReviews: listReviewsUseCase(deps),
      getRatingSummaries: getRatingSummariesUseCase(deps),
    },
    admin: {
      approveReview: approveReviewUseCase(deps),
      rejectReview: rejectReviewUseCase(deps),
      listReviewsByStatus: listReviewsByStatusUseCase(deps),
      getReview: getReviewUseCase(deps),
    },
    orderEvents: {
      applyOrderSnapshot: applyOrderSnapshotUseCase(deps),
    },
  };
}

export type UseCases = ReturnType<typeof buildUseCases>;
export type ReviewUseCases = UseCases["reviews"];
export type ReviewAdminUseCases = UseCases["admin"];
