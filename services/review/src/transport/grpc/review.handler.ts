// ReviewService over gRPC (storefronts): decode and validate, call one use case, encode.
import { collectViolations } from "@stockroom/errors";
import type { ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import type { ReviewService } from "@stockroom/proto/stockroom/review/v1/review_service_pb.js";
import type { ReviewUseCases } from "../../app/build-use-cases.ts";
import { ratingSummaryMessage, reviewMessage } from "../../app/review-message.ts";
import { requestContextFrom } from "./request-context.ts";
import * as validate from "./validate.ts";

const AUTHORS = ["storefront"] as const;
const READERS = ["storefront", "ops", "admin", "service"] as const;

export const REVIEW_POLICY: ServicePolicy<typeof ReviewService> = {
  submitReview: AUTHORS,
  editReview: AUTHORS,
  deleteReview: AUTHORS,
  voteReviewHelpful: AUTHORS,
  listReviews: READERS,
  getRatingSummary: READERS,
};

export function createReviewHandler(useCases: ReviewUseCases): ServiceImpl<typeof ReviewService> {
  return {
    async submitReview(request, ctx) {
      const review = await useCases.submitReview(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          sku: check(() => validate.sku(request.sku)),
          orderId: check(() => validate.orderId(request.orderId)),
          rating: check(() => validate.rating(request.rating)),
          title: check(() => validate.title(request.title)),
          body: check(() => validate.body(request.body)),
          language: check(() => validate.language(request.language)),
        })),
        requestContextFrom(ctx),
      );
      return { review: reviewMessage(review) };
    },
    async editReview(request, ctx) {
      const review = await useCases.editReview(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          reviewId: check(() => validate.reviewId(request.reviewId)),
          rating: check(() => validate.rating(request.rating)),
          title: check(() => validate.title(request.title)),
          body: check(() => validate.body(request.body)),
          language: check(() => validate.language(request.language)),
          expectedVersion: check(() => validate.expectedVersion(request.expectedVersion)),
        })),
        requestContextFrom(ctx),
      );
      return { review: reviewMessage(review) };
    },
    async deleteReview(request, ctx) {
      const review = await useCases.deleteReview(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          reviewId: check(() => validate.reviewId(request.reviewId)),
        })),
        requestContextFrom(ctx),
      );
      return { review: reviewMessage(review) };
    },
    async voteReviewHelpful(request, ctx) {
      const review = await useCases.voteReviewHelpful(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          reviewId: check(() => validate.reviewId(request.reviewId)),
        })),
        requestContextFrom(ctx),
      );
      return { review: reviewMessage(review) };
    },
    async listReviews(request) {
      const query = collectViolations((check) => {
        const sku = check(() => validate.sku(request.sku));
        const sort = check(() => validate.sort(request.sort));
        return {
          sku,
          sort,
          verifiedOnly: request.verifiedOnly,
          pageSize: check(() => validate.pageSize(request.pageSize)),
          after: check(() => validate.reviewCursor(request.pageToken, scopeOf(request), sort)),
        };
      });
      const page = await useCases.listReviews(query);
      return {
        reviews: page.reviews.map(reviewMessage),
        nextPageToken: page.next ? validate.encodeReviewCursor(scopeOf(request), page.next) : "",
      };
    },
    async getRatingSummary(request) {
      const summaries = await useCases.getRatingSummaries(validate.skuList(request.skus));
      return { summaries: summaries.map(({ sku, figures }) => ratingSummaryMessage(sku, figures)) };
    },
  };
}

// A page token is bound to the query it was issued for.
function scopeOf(request: { sku: string; verifiedOnly: boolean }): string {
  return `${request.sku}:${request.verifiedOnly ? "verified" : "all"}`;
}
