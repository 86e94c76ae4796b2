// Kysely table types of the review schema (migrations/review). Columns stay snake_case, as in SQL.
import type { IdempotencyDatabase } from "@stockroom/idempotency";
import type { OutboxDatabase } from "@stockroom/outbox";
import type { ColumnType, Generated } from "kysely";
import type { ProofSource, ReviewStatus } from "../domain/review.ts";

type CreatedAt = ColumnType<Date, Date | undefined, never>;
// bigint columns come back from pg as strings; writes accept numbers, bigints or strings.
type BigIntColumn = ColumnType<string, number | bigint | string | undefined, number | bigint | string>;

export interface ReviewsTable {
  review_id: string;
  sku: string;
  customer_id: string;
  order_id: string | null;
  line_number: number | null;
  rating: number;
  title: string;
  body: string;
  body_hash: string;
  language: string;
  status: ReviewStatus;
  verified: boolean;
  proof_source: ProofSource | null;
  delivered_at: Date | null;
  purchase_returned: ColumnType<boolean, boolean | undefined, boolean>;
  helpful_votes: ColumnType<number, number | undefined, number>;
  moderation_reason: ColumnType<string, string | undefined, string>;
  version: BigIntColumn;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  published_at: Date | null;
}

export interface ReviewHelpfulVotesTable {
  review_id: string;
  customer_id: string;
  voted_at: CreatedAt;
}

export interface ModerationHistoryTable {
  id: Generated<string>;
  review_id: string;
  from_status: ReviewStatus | null;
  to_status: ReviewStatus;
  actor: string;
  reason: string;
  review_version: BigIntColumn;
  at: ColumnType<Date, Date | undefined, never>;
}

export interface VerifiedPurchasesTable {
  order_id: string;
  line_number: number;
  customer_id: string;
  sku: string;
  delivered_quantity: number;
  returned_quantity: number;
  delivered_at: Date | null;
  order_version: BigIntColumn;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

type Count = ColumnType<string, number | undefined, number | string>;

export interface RatingAggregatesTable {
  sku: string;
  all_count: Count;
  all_sum: Count;
  all_1: Count;
  all_2: Count;
  all_3: Count;
  all_4: Count;
  all_5: Count;
  verified_count: Count;
  verified_sum: Count;
  verified_1: Count;
  verified_2: Count;
  verified_3: Count;
  verified_4: Count;
  verified_5: Count;
  version: Count;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface EventProcessingLogTable {
  event_id: string;
  consumer: string;
  processed_at: CreatedAt;
}

// idempotency_records comes with IdempotencyDatabase (packages/idempotency).
export interface ReviewDatabase extends OutboxDatabase, IdempotencyDatabase {
  reviews: ReviewsTable;
  review_helpful_votes: ReviewHelpfulVotesTable;
  moderation_history: ModerationHistoryTable;
  verified_purchases: VerifiedPurchasesTable;
  rating_aggregates: RatingAggregatesTable;
  event_processing_log: EventProcessingLogTable;
}
