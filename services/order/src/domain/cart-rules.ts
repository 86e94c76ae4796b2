// Cart rules: which carts take changes, line limits, merging a repeated sku, accepting partial
// quantities after a shortfall, what a checkout needs, and the demand the checkout reserves (summed
// per sku and warehouse, so two lines of one sku cannot each pass the stock check).
import { ErrorReason, failedPrecondition, invalidArgument, notFound } from "@stockroom/errors";

export const CART_STATUSES = ["open", "checking_out", "checked_out", "abandoned"] as const;
export type CartStatus = (typeof CART_STATUSES)[number];

export const MAX_CART_LINES = 100;
// Per line, and per sku over every line of the cart.
export const MAX_LINE_QUANTITY = 1_000;

export interface CartLine {
  lineNumber: number;
  sku: string;
  quantity: number;
  // null: any warehouse.
  warehouseCode: string | null;
}

export interface CartContents {
  cartId: string;
  status: CartStatus;
  lines: readonly CartLine[];
  // Numbers of removed lines are not reused.
  nextLineNumber: number;
}

export type CartEvent = "start_checkout" | "checkout_failed" | "checkout_confirmed" | "abandon";

const CART_TRANSITIONS: Record<CartEvent, { from: readonly CartStatus[]; to: CartStatus }> = {
  start_checkout: { from: ["open"], to: "checking_out" },
  // A rejected or compensated checkout gives the cart back, so it can be checked out again.
  checkout_failed: { from: ["checking_out"], to: "open" },
  checkout_confirmed: { from: ["checking_out"], to: "checked_out" },
  abandon: { from: ["open"], to: "abandoned" },
};

export function cartStatusAfter(status: CartStatus, event: CartEvent): CartStatus {
  const rule = CART_TRANSITIONS[event];
  if (!rule.from.includes(status)) {
    throw failedPrecondition(
      status === "checking_out" ? ErrorReason.CHECKOUT_IN_PROGRESS : ErrorReason.CART_NOT_OPEN,
      `cart is ${status}; ${event} needs it ${rule.from.join(" or ")}`,
      { status, event },
    );
  }
  return rule.to;
}

export function assertCartOpen(cart: Pick<CartContents, "cartId" | "status">): void {
  if (cart.status !== "open") {
    throw failedPrecondition(
      cart.status === "checking_out" ? ErrorReason.CHECKOUT_IN_PROGRESS : ErrorReason.CART_NOT_OPEN,
      `cart ${cart.cartId} is ${cart.status}; it takes no changes`,
      { status: cart.status },
    );
  }
}

export interface AddLineInput {
  sku: string;
  quantity: number;
  warehouseCode: string | null;
}

export interface CartChange {
  lines: CartLine[];
  nextLineNumber: number;
  // The line added or changed.
  lineNumber: number;
}

function assertQuantity(quantity: number, field: string): void {
  if (!Number.isInteger(quantity) || quantity < 1) {
    throw invalidArgument(field, `${field} must be a positive integer, got ${quantity}`);
  }
}

function assertSkuTotal(lines: readonly CartLine[], sku: string): void {
  const total = lines.filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0);
  if (total > MAX_LINE_QUANTITY) {
    throw failedPrecondition(
      ErrorReason.CART_LIMIT_EXCEEDED,
      `sku ${sku} would be ${total} units in the cart; at most ${MAX_LINE_QUANTITY}`,
      { sku, quantity: String(total), limit: String(MAX_LINE_QUANTITY) },
    );
  }
}

// The same sku from the same warehouse (or both "any") adds to its line; otherwise a new line.
export function addLine(cart: CartContents, input: AddLineInput): CartChange {
  assertCartOpen(cart);
  assertQuantity(input.quantity, "quantity");
  const existing = cart.lines.find((l) => l.sku === input.sku && l.warehouseCode === input.warehouseCode);
  let lines: CartLine[];
  let lineNumber: number;
  let nextLineNumber = cart.nextLineNumber;
  if (existing) {
    lineNumber = existing.lineNumber;
    lines = cart.lines.map((l) => (l === existing ? { ...l, quantity: l.quantity + input.quantity } : l));
  } else {
    if (cart.lines.length >= MAX_CART_LINES) {
      throw failedPrecondition(
        ErrorReason.CART_LIMIT_EXCEEDED,
        `a cart holds at most ${MAX_CART_LINES} lines`,
        {
          limit: String(MAX_CART_LINES),
        },
      );
    }
    lineNumber = cart.nextLineNumber;
    nextLineNumber += 1;
    lines = [
      ...cart.lines,
      { lineNumber, sku: input.sku, quantity: input.quantity, warehouseCode: input.warehouseCode },
    ];
  }
  assertSkuTotal(lines, input.sku);
  return { lines, nextLineNumber, lineNumber };
}

function lineOf(cart: CartContents, lineNumber: number): CartLine {
  const line = cart.lines.find((l) => l.lineNumber === lineNumber);
  if (!line) {
    throw notFound(ErrorReason.CART_LINE_NOT_FOUND, `cart ${cart.cartId} has no line ${lineNumber}`, {
      line_number: String(lineNumber),
    });
  }
  return line;
}

export function updateLineQuantity(cart: CartContents, lineNumber: number, quantity: number): CartChange {
  assertCartOpen(cart);
  assertQuantity(quantity, "quantity");
  const line = lineOf(cart, lineNumber);
  const lines = cart.lines.map((l) => (l === line ? { ...l, quantity } : l));
  assertSkuTotal(lines, line.sku);
  return { lines, nextLineNumber: cart.nextLineNumber, lineNumber };
}

export function removeLine(cart: CartContents, lineNumber: number): CartChange {
  assertCartOpen(cart);
  const line = lineOf(cart, lineNumber);
  return { lines: cart.lines.filter((l) => l !== line), nextLineNumber: cart.nextLineNumber, lineNumber };
}

export interface AcceptedQuantity {
  lineNumber: number;
  // 0 drops the line; otherwise at most the line's current quantity.
  quantity: number;
}

// After a shortfall the customer lowers lines (or drops them); raising a line here is refused, since
// that is AddCartLine's or UpdateCartLine's job and would bypass the limits the customer accepted.
export function acceptPartialQuantities(
  cart: CartContents,
  accepted: readonly AcceptedQuantity[],
): CartLine[] {
  assertCartOpen(cart);
  if (accepted.length === 0) throw invalidArgument("lines", "lines must name at least one line");
  const seen = new Set<number>();
  const byLine = new Map<number, number>();
  accepted.forEach((a, i) => {
    if (seen.has(a.lineNumber)) {
      throw invalidArgument(`lines[${i}].line_number`, `line ${a.lineNumber} is named twice`);
    }
    seen.add(a.lineNumber);
    const line = lineOf(cart, a.lineNumber);
    if (!Number.isInteger(a.quantity) || a.quantity < 0 || a.quantity > line.quantity) {
      throw invalidArgument(
        `lines[${i}].quantity`,
        `lines[${i}].quantity must be between 0 and the line's ${line.quantity}, got ${a.quantity}`,
      );
    }
    byLine.set(a.lineNumber, a.quantity);
  });
  return cart.lines.flatMap((l) => {
    const quantity = byLine.get(l.lineNumber);
    if (quantity === undefined) return [l];
    return quantity === 0 ? [] : [{ ...l, quantity }];
  });
}

export interface CheckoutPrerequisites {
  lines: readonly CartLine[];
  hasShippingDestination: boolean;
  hasPaymentMethod: boolean;
}

export type MissingForCheckout = "lines" | "shipping_destination" | "payment_method";

export function missingForCheckout(cart: CheckoutPrerequisites): MissingForCheckout[] {
  const missing: MissingForCheckout[] = [];
  if (cart.lines.length === 0) missing.push("lines");
  if (!cart.hasShippingDestination) missing.push("shipping_destination");
  if (!cart.hasPaymentMethod) missing.push("payment_method");
  return missing;
}

export function assertReadyForCheckout(cart: CheckoutPrerequisites & Pick<CartContents, "cartId">): void {
  const missing = missingForCheckout(cart);
  if (missing.length > 0) {
    throw failedPrecondition(
      ErrorReason.CHECKOUT_NOT_READY,
      `cart ${cart.cartId} needs ${missing.join(", ")}`,
      {
        missing: missing.join(","),
      },
    );
  }
}

export interface StockDemand {
  sku: string;
  warehouseCode: string | null;
  quantity: number;
  // The cart lines the demand came from.
  lineNumbers: number[];
}

// One entry per (sku, warehouse), quantities summed, in the order each first appears.
export function demandPerSku(lines: readonly CartLine[]): StockDemand[] {
  const byKey = new Map<string, StockDemand>();
  for (const line of lines) {
    const key = `${line.sku}\u0000${line.warehouseCode ?? ""}`;
    const entry = byKey.get(key);
    if (entry) {
      entry.quantity += line.quantity;
      entry.lineNumbers.push(line.lineNumber);
    } else {
      byKey.set(key, {
        sku: line.sku,
        warehouseCode: line.warehouseCode,
        quantity: line.quantity,
        lineNumbers: [line.lineNumber],
      });
    }
  }
  return [...byKey.values()];
}
