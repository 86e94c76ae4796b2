export type { ConsumerLogger } from "./consumer-logger.ts";
export type { EventOutcome } from "./consumer-metrics.ts";
export { DEFAULT_DLQ_SUFFIX, DLQ_HEADERS, dlqTopicOf } from "./dead-letter.ts";
export { ensureTopics, ensureTopicsWith, type TopicSpec } from "./ensure-topics.ts";
export {
  type ConsumedEvent,
  createEventConsumer,
  type EventConsumer,
  type EventConsumerOptions,
  EventDecodeError,
  type EventHandler,
} from "./event-consumer.ts";
export { type GroupOffsets, type PartitionOffsets, readGroupOffsets } from "./group-offsets.ts";
export {
  type CreateKafkaClientOptions,
  createKafkaClient,
  KAFKA_RETRY,
  type KafkaLogLevelName,
  kafkaLogCreator,
} from "./kafka-client.ts";
export { type DeadLetter, type ListDeadLettersOptions, listDeadLetters } from "./list-dead-letters.ts";
export {
  createOffsetsPoller,
  type OffsetsPoller,
  type OffsetsPollerOptions,
  type OffsetsRead,
  type OffsetsReader,
} from "./offsets-poller.ts";
export { partitionForKey } from "./partition-for-key.ts";
export {
  createPartitionProgress,
  type FetchedMessage,
  type PartitionLag,
  type PartitionProgress,
  type PartitionProgressOptions,
} from "./partition-progress.ts";
export {
  createPartitionProgressPoller,
  type PartitionProgressPoller,
  type PartitionProgressPollerOptions,
  partitionProgressReader,
} from "./partition-progress-poller.ts";
export { deleteProcessedEventsBefore } from "./processing-log.repo.ts";
export {
  type ReplayDeadLettersOptions,
  type ReplayResult,
  ReplayTimeoutError,
  replayDeadLetters,
} from "./replay-dead-letters.ts";
export {
  CATALOG_PRODUCT_TOPIC,
  CATALOG_RATING_PROJECTION_GROUP,
  CATALOG_STOCK_PROJECTION_GROUP,
  FULFILLMENT_ORDER_EVENTS_GROUP,
  FULFILLMENT_RETURN_TOPIC,
  FULFILLMENT_TOPIC,
  ORDER_FULFILLMENT_EVENTS_GROUP,
  ORDER_RETURN_EVENTS_GROUP,
  ORDER_TOPIC,
  REVIEW_ORDER_EVENTS_GROUP,
  REVIEW_TOPIC,
  SEARCH_PRODUCT_INDEX_GROUP,
  SEARCH_RATING_INDEX_GROUP,
  SEARCH_STOCK_INDEX_GROUP,
  WAREHOUSE_RESERVATION_TOPIC,
  WAREHOUSE_STOCK_TOPIC,
} from "./topics.ts";
export { isTransientError, markRetryable, RetryableHandlerError } from "./transient-errors.ts";
