// The events the review service emits to review.review.v1: ReviewPublished / ReviewUnpublished (review
// aggregate, keyed by review id) and RatingSummaryChanged (rating_summary aggregate, keyed by sku).
import { create } from "@bufbuild/protobuf";
import type { OutboxEvent } from "@stockroom/outbox";
import {
  RatingSummaryChangedSchema,
  ReviewPublishedSchema,
  ReviewUnpublishedSchema,
} from "@stockroom/proto/stockroom/review/v1/events_pb.js";
import type { RatingFigures } from "../domain/rating-figures.ts";
import type { Review, ReviewStatus } from "../domain/review.ts";
import { ratingSummaryMessage, reviewMessage, STATUS_TO_PROTO } from "./review-message.ts";

export const REVIEW_AGGREGATE = "review";
export const RATING_SUMMARY_AGGREGATE = "rating_summary";

export function reviewPublished(topic: string, review: Review): OutboxEvent {
  return {
    topic,
    messageKey: review.reviewId,
    aggregateType: REVIEW_AGGREGATE,
    aggregateId: review.reviewId,
    aggregateVersion: review.version,
    eventType: "ReviewPublished",
    payloadSchema: ReviewPublishedSchema,
    payload: create(ReviewPublishedSchema, { review: reviewMessage(review) }),
    occurredAt: review.updatedAt,
  };
}

export function reviewUnpublished(topic: string, review: Review, previous: ReviewStatus): OutboxEvent {
  return {
    topic,
    messageKey: review.reviewId,
    aggregateType: REVIEW_AGGREGATE,
    aggregateId: review.reviewId,
    aggregateVersion: review.version,
    eventType: "ReviewUnpublished",
    payloadSchema: ReviewUnpublishedSchema,
    payload: create(ReviewUnpublishedSchema, {
      review: reviewMessage(review),
      previousStatus: STATUS_TO_PROTO[previous],
    }),
    occurredAt: review.updatedAt,
  };
}

export function ratingSummaryChanged(topic: string, figures: RatingFigures): OutboxEvent {
  return {
    topic,
    messageKey: figures.sku,
    aggregateType: RATING_SUMMARY_AGGREGATE,
    aggregateId: figures.sku,
    aggregateVersion: figures.version,
    eventType: "RatingSummaryChanged",
    payloadSchema: RatingSummaryChangedSchema,
    payload: create(RatingSummaryChangedSchema, { summary: ratingSummaryMessage(figures.sku, figures) }),
    occurredAt: figures.updatedAt,
  };
}
