-- Rating figures per sku from the review service's RatingSummaryChanged events (review.review.v1). A
-- row is replaced only by a newer summary_version, so duplicate and out-of-order events cannot move it
-- backwards; a sku without a row has no published review yet.

CREATE TABLE product_ratings (
  sku                      text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  review_count             bigint NOT NULL CHECK (review_count >= 0),
  average_rating           double precision NOT NULL CHECK (average_rating = 0 OR average_rating BETWEEN 1 AND 5),
  verified_review_count    bigint NOT NULL CHECK (verified_review_count >= 0),
  verified_average_rating  double precision NOT NULL
    CHECK (verified_average_rating = 0 OR verified_average_rating BETWEEN 1 AND 5),
  summary_version          bigint NOT NULL CHECK (summary_version >= 1),
  updated_at               timestamptz NOT NULL,
  applied_at               timestamptz NOT NULL DEFAULT now(),
  CHECK (verified_review_count <= review_count)
);
