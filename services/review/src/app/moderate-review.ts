// Ops moderation: approve a pending review, reject a pending or published one with a reason. The rating
// figures move in the same transaction (record-review-change.ts); the moderator is the token subject.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { findReviewForUpdate, saveReviewChanges } from "../data/review.repo.ts";
import { canModerate, type Review } from "../domain/review.ts";
import { reviewNotFound } from "./author-changes.ts";
import { recordReviewChange } from "./record-review-change.ts";
import { reviewJsonCodec } from "./review-json.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface ModerationInput {
  idempotencyKey: string;
  reviewId: string;
  // The rejection's reason, or the approval's note.
  reason: string;
}

function moderateUseCase(deps: UseCaseDeps, action: "approve" | "reject") {
  return async function moderate(input: ModerationInput, context: RequestContext): Promise<Review> {
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: `${action}_review`,
          key: input.idempotencyKey,
          fingerprint: fingerprintOf({ reviewId: input.reviewId, reason: input.reason }),
        },
        async () => {
          const before = await findReviewForUpdate(trx, input.reviewId);
          if (!before) throw reviewNotFound(input.reviewId);
          if (!canModerate(action, before.status)) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `review ${input.reviewId} is ${before.status}: it cannot be ${action === "approve" ? "approved" : "rejected"}`,
              { reviewId: input.reviewId, status: before.status },
            );
          }
          const after = await saveReviewChanges(
            trx,
            before.reviewId,
            action === "approve"
              ? { status: "published", moderationReason: "" }
              : { status: "rejected", moderationReason: input.reason },
            deps.clock(),
          );
          await recordReviewChange(trx, deps, { before, after, reason: input.reason }, context);
          return after;
        },
        { codec: reviewJsonCodec },
      ),
    );
  };
}

export const approveReviewUseCase = (deps: UseCaseDeps) => moderateUseCase(deps, "approve");
export const rejectReviewUseCase = (deps: UseCaseDeps) => moderateUseCase(deps, "reject");
