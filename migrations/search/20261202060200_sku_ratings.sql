-- The review service's rating figures per sku as the search service last saw them (RatingSummaryChanged
-- events on review.review.v1). They live here, beside the stock levels, so a product document written
-- after its rating arrived (a late product event, or a rebuild, which reads only the catalog and the
-- warehouse) carries the current figures. Moves only to a newer summary version.
CREATE TABLE sku_ratings (
  sku              text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  -- Every published review: its mean (0 with no reviews) and count.
  average          real NOT NULL CHECK (average BETWEEN 0 AND 5),
  review_count     bigint NOT NULL CHECK (review_count >= 0),
  -- The rating_summary aggregate's version, which the engine's rating guard compares.
  summary_version  bigint NOT NULL CHECK (summary_version >= 1),
  updated_at       timestamptz NOT NULL,
  applied_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (review_count > 0 OR average = 0)
);
