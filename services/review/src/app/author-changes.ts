// The author's changes of their review: edit, delete, and others' helpful votes. A review belongs to
// the token subject that wrote it; for anyone else it does not exist (NOT_FOUND, nothing leaks).
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import type { Transaction } from "kysely";
import type { ReviewDatabase } from "../data/database.ts";
import {
  addHelpfulVote,
  findReview,
  findReviewForUpdate,
  lockCustomer,
  saveReviewChanges,
} from "../data/review.repo.ts";
import { bodyHashOf, canAuthorChange, type Review, statusAfterEdit } from "../domain/review.ts";
import { recordReviewChange } from "./record-review-change.ts";
import { reviewJsonCodec } from "./review-json.ts";
import { checkAbuseLimits } from "./submit-review.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export function reviewNotFound(reviewId: string) {
  return notFound(ErrorReason.REVIEW_NOT_FOUND, `review ${reviewId} not found`, { reviewId });
}

async function lockOwnReview(
  trx: Transaction<ReviewDatabase>,
  reviewId: string,
  customerId: string,
): Promise<Review> {
  const review = await findReviewForUpdate(trx, reviewId);
  if (!review || review.customerId !== customerId) throw reviewNotFound(reviewId);
  return review;
}

export interface EditReviewInput {
  idempotencyKey: string;
  reviewId: string;
  rating: number;
  title: string;
  body: string;
  language: string;
  expectedVersion?: number | undefined;
}

export function editReviewUseCase(deps: UseCaseDeps) {
  return async function editReview(input: EditReviewInput, context: RequestContext): Promise<Review> {
    const customerId = context.principal;
    const { idempotencyKey, ...fields } = input;
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: customerId,
          operation: "edit_review",
          key: idempotencyKey,
          fingerprint: fingerprintOf(fields),
        },
        async () => {
          await lockCustomer(trx, customerId);
          const before = await lockOwnReview(trx, input.reviewId, customerId);
          if (!canAuthorChange(before.status)) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `review ${input.reviewId} is deleted`,
              {
                reviewId: input.reviewId,
              },
            );
          }
          if (input.expectedVersion !== undefined && input.expectedVersion !== before.version) {
            throw failedPrecondition(
              ErrorReason.CONCURRENT_MODIFICATION,
              `review ${input.reviewId} is at version ${before.version}, not ${input.expectedVersion}`,
              { reviewId: input.reviewId, version: String(before.version) },
            );
          }
          const now = deps.clock();
          const bodyHash = bodyHashOf(input.body);
          await checkAbuseLimits(trx, deps.policy, customerId, bodyHash, now, before.reviewId);
          const status = statusAfterEdit(before);
          const after = await saveReviewChanges(
            trx,
            before.reviewId,
            {
              rating: input.rating,
              title: input.title,
              body: input.body,
              bodyHash,
              language: input.language,
              status,
            },
            now,
          );
          await recordReviewChange(trx, deps, { before, after, reason: "edited by its author" }, context);
          return after;
        },
        { codec: reviewJsonCodec },
      ),
    );
  };
}

export function deleteReviewUseCase(deps: UseCaseDeps) {
  return async function deleteReview(
    input: { idempotencyKey: string; reviewId: string },
    context: RequestContext,
  ): Promise<Review> {
    const customerId = context.principal;
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: customerId,
          operation: "delete_review",
          key: input.idempotencyKey,
          fingerprint: fingerprintOf({ reviewId: input.reviewId }),
        },
        async () => {
          const before = await lockOwnReview(trx, input.reviewId, customerId);
          // Deleting twice acts once.
          if (before.status === "deleted") return before;
          const after = await saveReviewChanges(trx, before.reviewId, { status: "deleted" }, deps.clock());
          await recordReviewChange(trx, deps, { before, after, reason: "deleted by its author" }, context);
          return after;
        },
        { codec: reviewJsonCodec },
      ),
    );
  };
}

export function voteReviewHelpfulUseCase(deps: UseCaseDeps) {
  return async function voteReviewHelpful(
    input: { idempotencyKey: string; reviewId: string },
    context: RequestContext,
  ): Promise<Review> {
    const customerId = context.principal;
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: customerId,
          operation: "vote_review_helpful",
          key: input.idempotencyKey,
          fingerprint: fingerprintOf({ reviewId: input.reviewId }),
        },
        async () => {
          const review = await findReview(trx, input.reviewId);
          if (review?.status !== "published") throw reviewNotFound(input.reviewId);
          if (review.customerId === customerId) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              "authors cannot vote for their own review",
              {
                reviewId: input.reviewId,
              },
            );
          }
          await addHelpfulVote(trx, review.reviewId, customerId);
          return (await findReview(trx, review.reviewId)) ?? review;
        },
        { codec: reviewJsonCodec },
      ),
    );
  };
}
