// ReviewAdminService over gRPC (ops and admin): decode and validate, call one use case, encode.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { collectViolations } from "@stockroom/errors";
import type { ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import type { ReviewAdminService } from "@stockroom/proto/stockroom/review/v1/review_admin_service_pb.js";
import { ReviewStatus } from "@stockroom/proto/stockroom/review/v1/review_pb.js";
import type { ReviewAdminUseCases } from "../../app/build-use-cases.ts";
import { reviewMessage, STATUS_TO_PROTO } from "../../app/review-message.ts";
import { requestContextFrom } from "./request-context.ts";
import * as validate from "./validate.ts";

const MODERATORS = ["ops", "admin"] as const;

export const REVIEW_ADMIN_POLICY: ServicePolicy<typeof ReviewAdminService> = {
  listModerationQueue: MODERATORS,
  approveReview: MODERATORS,
  rejectReview: MODERATORS,
  listReviewsByStatus: MODERATORS,
  getReview: MODERATORS,
};

export function createReviewAdminHandler(
  useCases: ReviewAdminUseCases,
): ServiceImpl<typeof ReviewAdminService> {
  return {
    async listModerationQueue(request) {
      const scope = "queue";
      const page = await useCases.listReviewsByStatus(
        collectViolations((check) => ({
          status: "pending" as const,
          oldestFirst: true,
          pageSize: check(() => validate.pageSize(request.pageSize)),
          after: check(() => validate.statusCursor(request.pageToken, scope)),
        })),
      );
      return {
        reviews: page.reviews.map(reviewMessage),
        nextPageToken: page.next ? validate.encodeStatusCursor(scope, page.next) : "",
      };
    },
    async approveReview(request, ctx) {
      const review = await useCases.approveReview(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          reviewId: check(() => validate.reviewId(request.reviewId)),
          reason: check(() => validate.note(request.note)),
        })),
        requestContextFrom(ctx),
      );
      return { review: reviewMessage(review) };
    },
    async rejectReview(request, ctx) {
      const review = await useCases.rejectReview(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          reviewId: check(() => validate.reviewId(request.reviewId)),
          reason: check(() => validate.reason(request.reason, true)),
        })),
        requestContextFrom(ctx),
      );
      return { review: reviewMessage(review) };
    },
    async listReviewsByStatus(request) {
      const query = collectViolations((check) => {
        const status = check(() => validate.status(request.status));
        const sku = request.sku === "" ? undefined : check(() => validate.sku(request.sku));
        const scope = `${status}:${request.sku}`;
        return {
          status,
          sku,
          scope,
          oldestFirst: false,
          pageSize: check(() => validate.pageSize(request.pageSize)),
          after: check(() => validate.statusCursor(request.pageToken, scope)),
        };
      });
      const page = await useCases.listReviewsByStatus(query);
      return {
        reviews: page.reviews.map(reviewMessage),
        nextPageToken: page.next ? validate.encodeStatusCursor(query.scope, page.next) : "",
      };
    },
    async getReview(request) {
      const { review, history } = await useCases.getReview(validate.reviewId(request.reviewId));
      return {
        review: reviewMessage(review),
        history: history.map((entry) => ({
          fromStatus: entry.fromStatus ? STATUS_TO_PROTO[entry.fromStatus] : ReviewStatus.UNSPECIFIED,
          toStatus: STATUS_TO_PROTO[entry.toStatus],
          actor: entry.actor,
          reason: entry.reason,
          reviewVersion: BigInt(entry.reviewVersion),
          at: timestampFromDate(entry.at),
        })),
      };
    },
  };
}
