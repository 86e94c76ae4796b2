// Consumes review.review.v1 into the index's rating figures: each RatingSummaryChanged (rating_summary
// aggregate, keyed by sku) is decoded here and applied by applyRatingSummaryChanged in the consumer's
// transaction (with its event_processing_log row and the aggregate-version guard); the topic's review
// events are ignored, and a summary that does not fit goes to the dead-letter topic.
import { anyIs, anyUnpack, timestampDate } from "@bufbuild/protobuf/wkt";
import type { Kysely, Transaction } from "@stockroom/db";
import {
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  type PartitionProgress,
  SEARCH_RATING_INDEX_GROUP,
} from "@stockroom/messaging";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { RatingSummaryChangedSchema } from "@stockroom/proto/stockroom/review/v1/events_pb.js";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import { isValidRating, type SkuRating } from "../../domain/sku-rating.ts";

export class RatingEventInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RatingEventInvalidError";
  }
}

// The use case the consumer feeds (applyRatingSummaryChanged), over the database the consumer runs in.
export interface RatingEventUseCases<DB> {
  applyRatingSummaryChanged(trx: Transaction<DB>, rating: SkuRating): Promise<{ outcome: string }>;
}

// The figures of every published review (not only the verified ones) are what the index sorts by.
export function decodeRatingSummaryChanged(envelope: EventEnvelope): SkuRating | undefined {
  if (!envelope.payload || !anyIs(envelope.payload, RatingSummaryChangedSchema)) return undefined;
  const summary = anyUnpack(envelope.payload, RatingSummaryChangedSchema)?.summary;
  const rating: SkuRating | undefined = summary?.all && {
    sku: summary.sku,
    average: summary.all.average,
    count: Number(summary.all.count),
    ratingVersion: Number(summary.version),
    updatedAt: summary.updatedAt ? timestampDate(summary.updatedAt) : new Date(),
  };
  if (!rating || !isValidRating(rating)) {
    throw new RatingEventInvalidError(
      `event ${envelope.eventId}: RatingSummaryChanged without a valid summary`,
    );
  }
  return rating;
}

export async function applyRatingEvent<DB>(
  useCases: RatingEventUseCases<DB>,
  trx: Transaction<DB>,
  envelope: EventEnvelope,
): Promise<string> {
  const rating = decodeRatingSummaryChanged(envelope);
  return rating ? (await useCases.applyRatingSummaryChanged(trx, rating)).outcome : "ignored";
}

export function createRatingEventsConsumer<DB>(options: {
  kafka: Kafka;
  db: Kysely<DB>;
  useCases: RatingEventUseCases<DB>;
  logger: ConsumerLogger;
  registry?: Registry;
  topic: string;
  groupId?: string;
  partitionsConsumedConcurrently?: number;
  progress?: PartitionProgress;
}): EventConsumer {
  return createEventConsumer<DB>({
    kafka: options.kafka,
    groupId: options.groupId ?? SEARCH_RATING_INDEX_GROUP,
    topics: [options.topic],
    db: options.db,
    consumerName: SEARCH_RATING_INDEX_GROUP,
    handle: async (trx, event) => {
      await applyRatingEvent(options.useCases, trx, event.envelope);
    },
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
    ...(options.progress && { progress: options.progress }),
    ...(options.partitionsConsumedConcurrently && {
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    }),
  });
}
