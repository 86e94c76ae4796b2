-- Per-sku rating figures of published reviews: all of them, and the verified ones (a proof whose units
-- were not all returned). Changed in the transaction that changes a review's contribution; the sums
-- and the histogram must agree (CHECKs), and version orders the RatingSummaryChanged events.

CREATE TABLE rating_aggregates (
  sku             text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  all_count       bigint NOT NULL DEFAULT 0,
  all_sum         bigint NOT NULL DEFAULT 0,
  all_1           bigint NOT NULL DEFAULT 0 CHECK (all_1 >= 0),
  all_2           bigint NOT NULL DEFAULT 0 CHECK (all_2 >= 0),
  all_3           bigint NOT NULL DEFAULT 0 CHECK (all_3 >= 0),
  all_4           bigint NOT NULL DEFAULT 0 CHECK (all_4 >= 0),
  all_5           bigint NOT NULL DEFAULT 0 CHECK (all_5 >= 0),
  verified_count  bigint NOT NULL DEFAULT 0,
  verified_sum    bigint NOT NULL DEFAULT 0,
  verified_1      bigint NOT NULL DEFAULT 0 CHECK (verified_1 >= 0),
  verified_2      bigint NOT NULL DEFAULT 0 CHECK (verified_2 >= 0),
  verified_3      bigint NOT NULL DEFAULT 0 CHECK (verified_3 >= 0),
  verified_4      bigint NOT NULL DEFAULT 0 CHECK (verified_4 >= 0),
  verified_5      bigint NOT NULL DEFAULT 0 CHECK (verified_5 >= 0),
  version         bigint NOT NULL DEFAULT 0 CHECK (version >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (all_count = all_1 + all_2 + all_3 + all_4 + all_5),
  CHECK (all_sum = all_1 + 2 * all_2 + 3 * all_3 + 4 * all_4 + 5 * all_5),
  CHECK (verified_count = verified_1 + verified_2 + verified_3 + verified_4 + verified_5),
  CHECK (verified_sum = verified_1 + 2 * verified_2 + 3 * verified_3 + 4 * verified_4 + 5 * verified_5),
  CHECK (verified_1 <= all_1 AND verified_2 <= all_2 AND verified_3 <= all_3 AND verified_4 <= all_4
         AND verified_5 <= all_5)
);
