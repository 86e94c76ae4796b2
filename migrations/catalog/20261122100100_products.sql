-- Products and their prices. Price is integer minor units with an ISO currency: never a float.

CREATE TABLE products (
  -- Same format as the warehouse's stock_levels.sku, so every stock event's sku fits.
  sku            text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description    text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
  brand          text NOT NULL DEFAULT '' CHECK (length(brand) <= 100),
  -- Slash separated, most general first: 'apparel/shoes/running'.
  category_path  text NOT NULL DEFAULT '' CHECK (category_path ~ '^([a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*)?$'),
  attributes     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
  status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
  price_minor    bigint NOT NULL CHECK (price_minor >= 0),
  currency       char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  version        bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX products_category_idx ON products (category_path text_pattern_ops, sku);
CREATE INDEX products_brand_idx ON products (brand, sku);
CREATE INDEX products_status_idx ON products (status, sku);
