// A cart as the storefront sees it: its lines with the catalog's current name, price and availability.
// When the catalog cannot answer, the lines carry the last figures seen, marked stale with their age, or
// nothing known (never "out of stock": ORD-P0-03).
import type { CartRecord } from "../data/cart.repo.ts";
import { type Money, money, sum, times } from "../domain/money.ts";
import type { CatalogPort, ProductInfo } from "./catalog.port.ts";

export interface LineAvailability {
  known: boolean;
  available: number;
  stale: boolean;
  asOf: Date | null;
  ageMs: number;
}

export interface CartLineView {
  lineNumber: number;
  sku: string;
  quantity: number;
  warehouseCode: string | null;
  productName: string;
  unitPrice: Money | null;
  lineTotal: Money | null;
  availability: LineAvailability;
}

export interface CartView extends Omit<CartRecord, "lines"> {
  lines: CartLineView[];
  subtotal: Money;
}

export async function cartViewOf(cart: CartRecord, catalog: CatalogPort, now: Date): Promise<CartView> {
  const skus = [...new Set(cart.lines.map((l) => l.sku))];
  const lookup =
    skus.length > 0 ? await catalog.lookupProducts(skus) : { products: [], missing: [], answered: true };
  const bySku = new Map<string, ProductInfo>(lookup.products.map((p) => [p.sku, p]));
  const lines = cart.lines.map((line): CartLineView => {
    const product = bySku.get(line.sku);
    const unitPrice = product && product.price.currency === cart.currency ? product.price : null;
    const available = product
      ? line.warehouseCode
        ? (product.availableByWarehouse[line.warehouseCode] ?? 0)
        : product.totalAvailable
      : 0;
    return {
      ...line,
      productName: product?.name ?? "",
      unitPrice,
      lineTotal: unitPrice ? times(unitPrice, line.quantity) : null,
      availability: {
        known: product !== undefined,
        available,
        stale: product?.stale ?? !lookup.answered,
        asOf: product?.asOf ?? null,
        ageMs: product ? Math.max(0, now.getTime() - product.asOf.getTime()) : 0,
      },
    };
  });
  const subtotal = sum(
    cart.currency,
    lines.flatMap((l) => (l.lineTotal ? [l.lineTotal] : [])),
  );
  return { ...cart, lines, subtotal: subtotal ?? money(0, cart.currency) };
}
