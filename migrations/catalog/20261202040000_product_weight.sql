-- A product's weight per unit as shipped (grams): the fulfillment service's pack weight check compares a
-- package's measured weight with the sum over its units. NULL: not known (the package is then held for QC).
ALTER TABLE products
  ADD COLUMN weight_grams integer CHECK (weight_grams BETWEEN 1 AND 1000000);
