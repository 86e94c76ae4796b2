-- The PostgreSQL engine's index (services/search/src/data/postgres): one row per (generation, sku).
-- The live generation answers queries; during a rebuild a shadow generation is filled beside it (every
-- write goes to both), and the swap makes it live in one UPDATE of index_state.

CREATE SEQUENCE index_generation_seq;

CREATE TABLE index_state (
  singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  live_generation    bigint NOT NULL,
  shadow_generation  bigint,
  shadow_started_at  timestamptz,
  CHECK (shadow_generation IS DISTINCT FROM live_generation),
  CHECK ((shadow_generation IS NULL) = (shadow_started_at IS NULL))
);

INSERT INTO index_state (live_generation) VALUES (nextval('index_generation_seq'));

CREATE TABLE documents (
  generation          bigint NOT NULL,
  sku                 text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description         text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
  brand               text NOT NULL DEFAULT '' CHECK (length(brand) <= 100),
  category_path       text NOT NULL DEFAULT ''
                      CHECK (category_path ~ '^([a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*)?$'),
  -- {"color": ["red"], "size": ["42", "43"]}: every value as text.
  attributes          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
  -- The attribute values joined by spaces, for the text vector.
  attributes_text     text NOT NULL DEFAULT '',
  status              text NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
  price_minor         bigint NOT NULL CHECK (price_minor >= 0),
  currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  product_version     bigint NOT NULL CHECK (product_version >= 1),
  product_created_at  timestamptz NOT NULL,
  available           bigint NOT NULL DEFAULT 0 CHECK (available >= 0),
  stock_version       bigint NOT NULL DEFAULT 0 CHECK (stock_version >= 0),
  in_stock            boolean GENERATED ALWAYS AS (available > 0) STORED,
  rating              real NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
  rating_count        bigint NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
  rating_version      bigint NOT NULL DEFAULT 0 CHECK (rating_version >= 0),
  brand_key           text GENERATED ALWAYS AS (lower(brand)) STORED,
  -- Words matched stemmed (english) and, for name, brand and category, also as typed (simple) so a
  -- prefix query ("runn:*") finds "running". Weights: name and brand A, category B, attributes C,
  -- description D.
  search_vector       tsvector GENERATED ALWAYS AS (
                        setweight(to_tsvector('english'::regconfig, name), 'A')
                        || setweight(to_tsvector('simple'::regconfig, name), 'A')
                        || setweight(to_tsvector('simple'::regconfig, brand), 'A')
                        || setweight(to_tsvector('english'::regconfig, replace(category_path, '/', ' ')), 'B')
                        || setweight(to_tsvector('simple'::regconfig, replace(category_path, '/', ' ')), 'B')
                        || setweight(to_tsvector('english'::regconfig, attributes_text), 'C')
                        || setweight(to_tsvector('english'::regconfig, description), 'D')
                      ) STORED,
  -- Name and brand lower-cased, for trigram suggestions.
  suggest_text        text GENERATED ALWAYS AS (lower(name || ' ' || brand)) STORED,
  indexed_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (generation, sku),
  CHECK (rating_count > 0 OR rating = 0)
);

CREATE INDEX documents_search_vector_idx ON documents USING gin (search_vector);
CREATE INDEX documents_suggest_trgm_idx ON documents USING gin (suggest_text gin_trgm_ops);
CREATE INDEX documents_name_prefix_idx ON documents (generation, lower(name) text_pattern_ops)
  WHERE status = 'active';
CREATE INDEX documents_category_idx ON documents (generation, category_path text_pattern_ops)
  WHERE status = 'active';
CREATE INDEX documents_newest_idx ON documents (generation, product_created_at DESC, sku)
  WHERE status = 'active';
CREATE INDEX documents_price_idx ON documents (generation, price_minor, sku) WHERE status = 'active';

-- The words of names, brands and categories, lower-cased, for typo correction: a query word not in the
-- index is replaced by the nearest term (trigram similarity). Only grows; a stale term costs nothing but
-- a correction that matches nothing.
CREATE TABLE terms (
  term  text PRIMARY KEY CHECK (length(term) BETWEEN 2 AND 64)
);

CREATE INDEX terms_trgm_idx ON terms USING gin (term gin_trgm_ops);

-- AND of tsqueries over rows (tsquery_and is the function behind &&); NULLs are skipped (strict).
CREATE AGGREGATE tsquery_and_agg (tsquery) (SFUNC = tsquery_and, STYPE = tsquery);
-- OR of tsqueries over rows, for a misspelled word's candidate corrections.
CREATE AGGREGATE tsquery_or_agg (tsquery) (SFUNC = tsquery_or, STYPE = tsquery);
