// Products, their identifiers and prices: pure rules with no I/O.

// Same pattern as the warehouse's stock_levels.sku CHECK, so every sku the warehouse emits fits here.
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const WAREHOUSE_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

export const PRODUCT_STATUSES = ["draft", "active", "archived"] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

export interface Price {
  amountMinor: bigint;
  currency: string;
}

export interface Product {
  sku: string;
  name: string;
  description: string;
  brand: string;
  categoryPath: string;
  attributes: Record<string, unknown>;
  status: ProductStatus;
  price: Price;
  // Grams per unit as shipped (the fulfillment's pack weight check); undefined: not known.
  weightGrams?: number | undefined;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export function isValidSku(value: string): boolean {
  return SKU_PATTERN.test(value);
}

export function isValidWarehouseCode(value: string): boolean {
  return WAREHOUSE_CODE_PATTERN.test(value);
}

export function isValidPrice(price: Price): boolean {
  return price.amountMinor >= 0n && CURRENCY_PATTERN.test(price.currency);
}

// Archived products stay readable (orders refer to them) but nothing may change them any more.
export function canChange(status: ProductStatus): boolean {
  return status !== "archived";
}
