// SubmitReview: a customer's review of a sku, verified only by a proof of purchase (purchase-proof.ts).
// Without one, the deployment refuses it or keeps it unverified and pending. One customer's writes run
// one at a time (an advisory lock), so the one-per-line rule and the abuse limits see every earlier
// write; UNIQUE indexes back the first.
import { UniqueViolationError } from "@stockroom/db";
import { alreadyExists, ErrorReason, failedPrecondition, resourceExhausted } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import type { Transaction } from "kysely";
import type { ReviewDatabase } from "../data/database.ts";
import {
  countReviewsSince,
  findLiveProvenReviewOf,
  findLiveReviewOf,
  hasBodySince,
  insertReview,
  lockCustomer,
} from "../data/review.repo.ts";
import { bodyHashOf, type Review } from "../domain/review.ts";
import type { ReviewPolicy } from "../domain/review-policy.ts";
import { findProof, orderServiceLines } from "./purchase-proof.ts";
import { recordReviewChange } from "./record-review-change.ts";
import { reviewJsonCodec } from "./review-json.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface SubmitReviewInput {
  idempotencyKey: string;
  sku: string;
  orderId?: string | undefined;
  rating: number;
  title: string;
  body: string;
  language: string;
}

const DAY_MS = 24 * 3_600_000;

// The abuse limits, checked with the customer locked.
export async function checkAbuseLimits(
  trx: Transaction<ReviewDatabase>,
  policy: ReviewPolicy,
  customerId: string,
  bodyHash: string,
  now: Date,
  exceptReviewId?: string,
): Promise<void> {
  if (
    exceptReviewId === undefined &&
    (await countReviewsSince(trx, customerId, new Date(now.getTime() - DAY_MS))) >= policy.maxReviewsPerDay
  ) {
    throw resourceExhausted(
      ErrorReason.RATE_LIMITED,
      `at most ${policy.maxReviewsPerDay} reviews per customer per day`,
      { limit: String(policy.maxReviewsPerDay) },
    );
  }
  const since = new Date(now.getTime() - policy.duplicateBodyWindowMs);
  if (await hasBodySince(trx, customerId, bodyHash, since, exceptReviewId)) {
    throw alreadyExists(ErrorReason.ALREADY_EXISTS, "the same review body was already submitted", {
      field: "body",
      rule: "duplicate_body",
    });
  }
}

export function submitReviewUseCase(
  deps: UseCaseDeps,
  options: { onVerifyError?: (err: unknown) => void } = {},
) {
  return async function submitReview(input: SubmitReviewInput, context: RequestContext): Promise<Review> {
    const customerId = context.principal;
    const { idempotencyKey, ...fields } = input;
    const query = { customerId, sku: input.sku, orderId: input.orderId };
    // A remote call never runs inside a transaction: asked first, used only if the projection has none.
    const fromOrderService = await orderServiceLines(deps, query, options.onVerifyError);
    try {
      return await deps.transaction((trx) =>
        runIdempotent(
          trx,
          {
            principal: customerId,
            operation: "submit_review",
            key: idempotencyKey,
            fingerprint: fingerprintOf(fields),
          },
          async () => {
            await lockCustomer(trx, customerId);
            const now = deps.clock();
            const proof = await findProof(trx, query, fromOrderService);
            if (!proof) {
              if (await findLiveReviewOf(trx, customerId, { sku: input.sku })) {
                throw alreadyExists(ErrorReason.ALREADY_EXISTS, `you already reviewed ${input.sku}`, {
                  sku: input.sku,
                });
              }
              const reviewed = await findLiveProvenReviewOf(trx, customerId, input.sku, input.orderId);
              if (reviewed) {
                throw alreadyExists(
                  ErrorReason.ALREADY_EXISTS,
                  `you already reviewed this purchase of ${input.sku}`,
                  {
                    sku: input.sku,
                    reviewId: reviewed,
                  },
                );
              }
              if (deps.policy.unverified === "refuse") {
                throw failedPrecondition(
                  ErrorReason.PURCHASE_NOT_VERIFIED,
                  `no delivered purchase of ${input.sku} by this customer`,
                  { sku: input.sku },
                );
              }
            }
            const bodyHash = bodyHashOf(input.body);
            await checkAbuseLimits(trx, deps.policy, customerId, bodyHash, now);
            const review = await insertReview(trx, {
              reviewId: deps.newId(),
              sku: input.sku,
              customerId,
              orderId: proof?.orderId ?? null,
              lineNumber: proof?.lineNumber ?? null,
              rating: input.rating,
              title: input.title,
              body: input.body,
              bodyHash,
              language: input.language,
              status: proof ? "published" : "pending",
              verified: proof !== undefined,
              proofSource: proof?.source ?? null,
              deliveredAt: proof?.deliveredAt ?? null,
              now,
            });
            await recordReviewChange(
              trx,
              deps,
              {
                before: null,
                after: review,
                reason: proof ? "verified purchase" : "unverified: held for moderation",
              },
              context,
            );
            return review;
          },
          { codec: reviewJsonCodec },
        ),
      );
    } catch (err) {
      // The UNIQUE indexes' answer, should two writes of one line ever get past the lock.
      if (err instanceof UniqueViolationError && err.constraint?.startsWith("reviews_one_")) {
        throw alreadyExists(ErrorReason.ALREADY_EXISTS, `you already reviewed ${input.sku}`, {
          sku: input.sku,
        });
      }
      throw err;
    }
  };
}
