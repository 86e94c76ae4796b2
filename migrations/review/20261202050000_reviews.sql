-- Reviews and their moderation history. One live review per customer and order line (UNIQUE); a review
-- without a proof of purchase (held for moderation, where the deployment accepts those) is one per
-- customer and sku. Deleted reviews keep their row (status 'deleted') and free the line for a new one.

CREATE TABLE reviews (
  review_id          uuid PRIMARY KEY,
  sku                text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  customer_id        text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 200),
  -- The order line the review is about (its proof when verified); both or neither.
  order_id           text CHECK (length(order_id) BETWEEN 1 AND 100),
  line_number        integer CHECK (line_number >= 1),
  rating             smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
  title              text NOT NULL DEFAULT '' CHECK (length(title) <= 150),
  body               text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
  -- sha256 of the normalised body: the "same body again" abuse rule looks it up.
  body_hash          text NOT NULL CHECK (length(body_hash) = 64),
  language           text NOT NULL DEFAULT '' CHECK (language ~ '^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*)?$'),
  status             text NOT NULL CHECK (status IN ('pending', 'published', 'rejected', 'deleted')),
  verified           boolean NOT NULL,
  -- 'projection' (delivery events) or 'order_service' (VerifyPurchase); set exactly when verified.
  proof_source       text CHECK (proof_source IN ('projection', 'order_service')),
  delivered_at       timestamptz,
  -- Every delivered unit of the proof's line came back: shown, and left out of the verified figures.
  purchase_returned  boolean NOT NULL DEFAULT false,
  helpful_votes      integer NOT NULL DEFAULT 0 CHECK (helpful_votes >= 0),
  moderation_reason  text NOT NULL DEFAULT '' CHECK (length(moderation_reason) <= 500),
  version            bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  published_at       timestamptz,
  CHECK ((order_id IS NULL) = (line_number IS NULL)),
  CHECK (verified = (proof_source IS NOT NULL)),
  CHECK (NOT verified OR order_id IS NOT NULL),
  CHECK (NOT purchase_returned OR order_id IS NOT NULL),
  CHECK (status <> 'published' OR published_at IS NOT NULL)
);

CREATE UNIQUE INDEX reviews_one_per_order_line
  ON reviews (customer_id, order_id, line_number)
  WHERE order_id IS NOT NULL AND status <> 'deleted';

CREATE UNIQUE INDEX reviews_one_unproven_per_sku
  ON reviews (customer_id, sku)
  WHERE order_id IS NULL AND status <> 'deleted';

-- ListReviews: published reviews of a sku in each sort order (review_id breaks ties for the cursor).
CREATE INDEX reviews_published_newest ON reviews (sku, published_at DESC, review_id DESC)
  WHERE status = 'published';
CREATE INDEX reviews_published_rating ON reviews (sku, rating DESC, published_at DESC, review_id DESC)
  WHERE status = 'published';
CREATE INDEX reviews_published_helpful ON reviews (sku, helpful_votes DESC, published_at DESC, review_id DESC)
  WHERE status = 'published';
-- Ops lists by status; the moderation queue is status 'pending', oldest first.
CREATE INDEX reviews_by_status ON reviews (status, created_at, review_id);
-- Abuse limits: a customer's reviews of the last day, and the same body within the window.
CREATE INDEX reviews_by_customer ON reviews (customer_id, created_at);
CREATE INDEX reviews_by_body ON reviews (customer_id, body_hash, created_at);
-- A return event finds the reviews of its order lines.
CREATE INDEX reviews_by_order_line ON reviews (order_id, line_number) WHERE order_id IS NOT NULL;

CREATE TABLE review_helpful_votes (
  review_id    uuid NOT NULL REFERENCES reviews (review_id),
  customer_id  text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 200),
  voted_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (review_id, customer_id)
);

-- Every status change of a review, who made it and why (append-only).
CREATE TABLE moderation_history (
  id              bigserial PRIMARY KEY,
  review_id       uuid NOT NULL REFERENCES reviews (review_id),
  from_status     text CHECK (from_status IN ('pending', 'published', 'rejected', 'deleted')),
  to_status       text NOT NULL CHECK (to_status IN ('pending', 'published', 'rejected', 'deleted')),
  actor           text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  review_version  bigint NOT NULL CHECK (review_version >= 1),
  at              timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX moderation_history_by_review ON moderation_history (review_id, id);
