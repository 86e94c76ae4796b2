// The idempotency records' codec for a review answer: JSON with dates as ISO strings, read back as Dates.
import type { IdempotencyCodec } from "@stockroom/idempotency";
import type { Review } from "../domain/review.ts";

type ReviewJson = Omit<Review, "deliveredAt" | "createdAt" | "updatedAt" | "publishedAt"> & {
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
};

const dateOrNull = (value: string | null) => (value === null ? null : new Date(value));

export const reviewJsonCodec: IdempotencyCodec<Review> = {
  toJson: (review) => ({
    ...review,
    deliveredAt: review.deliveredAt?.toISOString() ?? null,
    createdAt: review.createdAt.toISOString(),
    updatedAt: review.updatedAt.toISOString(),
    publishedAt: review.publishedAt?.toISOString() ?? null,
  }),
  fromJson: (json) => {
    const value = json as ReviewJson;
    return {
      ...value,
      deliveredAt: dateOrNull(value.deliveredAt),
      createdAt: new Date(value.createdAt),
      updatedAt: new Date(value.updatedAt),
      publishedAt: dateOrNull(value.publishedAt),
    };
  },
};
