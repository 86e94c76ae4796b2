// Consumes review.review.v1 into the rating projection: RatingSummaryChanged events (rating_summary
// aggregate, keyed by sku) are decoded here and applied by applyRatingSummaryChanged in the consumer's
// transaction (with its event_processing_log row and the aggregate-version guard); the topic's review
// events are ignored, and a summary that does not fit goes to the dead-letter topic.
import { anyIs, anyUnpack, timestampDate } from "@bufbuild/protobuf/wkt";
import type { Kysely, Transaction } from "@stockroom/db";
import {
  CATALOG_RATING_PROJECTION_GROUP,
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  REVIEW_TOPIC,
} from "@stockroom/messaging";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { RatingSummaryChangedSchema } from "@stockroom/proto/stockroom/review/v1/events_pb.js";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { RatingApplyOutcome } from "../../app/apply-rating-summary-changed.ts";
import { isValidSku } from "../../domain/product.ts";
import type { SkuRating } from "../../domain/product-rating.ts";

export class RatingEventInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RatingEventInvalidError";
  }
}

export type ApplyRating<DB> = (trx: Transaction<DB>, rating: SkuRating) => Promise<RatingApplyOutcome>;

export function decodeRatingSummaryChanged(envelope: EventEnvelope): SkuRating | undefined {
  if (!envelope.payload || !anyIs(envelope.payload, RatingSummaryChangedSchema)) return undefined;
  const summary = anyUnpack(envelope.payload, RatingSummaryChangedSchema)?.summary;
  if (!summary || !isValidSku(summary.sku) || summary.version < 1n || !summary.all || !summary.verified) {
    throw new RatingEventInvalidError(
      `event ${envelope.eventId}: RatingSummaryChanged without a valid summary`,
    );
  }
  return {
    sku: summary.sku,
    reviewCount: Number(summary.all.count),
    averageRating: summary.all.average,
    verifiedReviewCount: Number(summary.verified.count),
    verifiedAverageRating: summary.verified.average,
    summaryVersion: Number(summary.version),
    updatedAt: summary.updatedAt ? timestampDate(summary.updatedAt) : new Date(),
  };
}

export async function applyRatingEvent<DB>(
  apply: ApplyRating<DB>,
  trx: Transaction<DB>,
  envelope: EventEnvelope,
): Promise<RatingApplyOutcome | { outcome: "ignored" }> {
  const rating = decodeRatingSummaryChanged(envelope);
  return rating ? apply(trx, rating) : { outcome: "ignored" };
}

export function createRatingEventsConsumer<DB>(options: {
  kafka: Kafka;
  db: Kysely<DB>;
  apply: ApplyRating<DB>;
  logger: ConsumerLogger;
  registry?: Registry;
  topic?: string;
  groupId?: string;
}): EventConsumer {
  return createEventConsumer<DB>({
    kafka: options.kafka,
    groupId: options.groupId ?? CATALOG_RATING_PROJECTION_GROUP,
    topics: [options.topic ?? REVIEW_TOPIC],
    db: options.db,
    consumerName: CATALOG_RATING_PROJECTION_GROUP,
    handle: async (trx, event) => {
      await applyRatingEvent(options.apply, trx, event.envelope);
    },
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
  });
}
