// Domain reviews and rating figures ↔ stockroom.review.v1 messages. Shared by the events, the
// idempotency codec and the gRPC responses, so every reader sees the same shape.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ReviewStatus as ProtoStatus,
  type RatingFigures as RatingFiguresMessage,
  RatingFiguresSchema,
  type RatingSummary,
  RatingSummarySchema,
  type Review as ReviewMessage,
  ReviewSchema,
} from "@stockroom/proto/stockroom/review/v1/review_pb.js";
import { averageOf, emptyFigures, type Figures, type RatingFigures } from "../domain/rating-figures.ts";
import type { Review, ReviewStatus } from "../domain/review.ts";

export const STATUS_TO_PROTO: Record<ReviewStatus, ProtoStatus> = {
  pending: ProtoStatus.PENDING,
  published: ProtoStatus.PUBLISHED,
  rejected: ProtoStatus.REJECTED,
  deleted: ProtoStatus.DELETED,
};

const STATUS_FROM_PROTO = new Map<ProtoStatus, ReviewStatus>(
  Object.entries(STATUS_TO_PROTO).map(([k, v]) => [v, k as ReviewStatus]),
);

export function statusFromProto(status: ProtoStatus): ReviewStatus | undefined {
  return STATUS_FROM_PROTO.get(status);
}

export function reviewMessage(review: Review): ReviewMessage {
  return create(ReviewSchema, {
    reviewId: review.reviewId,
    sku: review.sku,
    customerId: review.customerId,
    rating: review.rating,
    title: review.title,
    body: review.body,
    language: review.language,
    status: STATUS_TO_PROTO[review.status],
    verified: review.verified,
    ...(review.verified &&
      review.orderId !== null &&
      review.lineNumber !== null && {
        proof: {
          orderId: review.orderId,
          lineNumber: review.lineNumber,
          ...(review.deliveredAt && { deliveredAt: timestampFromDate(review.deliveredAt) }),
          returned: review.purchaseReturned,
          source: review.proofSource ?? "",
        },
      }),
    helpfulVotes: review.helpfulVotes,
    moderationReason: review.moderationReason,
    version: BigInt(review.version),
    createdAt: timestampFromDate(review.createdAt),
    updatedAt: timestampFromDate(review.updatedAt),
    ...(review.publishedAt && { publishedAt: timestampFromDate(review.publishedAt) }),
  });
}

function figuresMessage(figures: Figures): RatingFiguresMessage {
  const [one, two, three, four, five] = figures.histogram.map(BigInt) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  return create(RatingFiguresSchema, {
    count: BigInt(figures.count),
    average: averageOf(figures),
    histogram: { one, two, three, four, five },
  });
}

// A sku without reviews answers zeros at version 0.
export function ratingSummaryMessage(sku: string, figures: RatingFigures | undefined): RatingSummary {
  return create(RatingSummarySchema, {
    sku,
    all: figuresMessage(figures?.all ?? emptyFigures()),
    verified: figuresMessage(figures?.verified ?? emptyFigures()),
    version: BigInt(figures?.version ?? 0),
    ...(figures && { updatedAt: timestampFromDate(figures.updatedAt) }),
  });
}
