// Cart rules: status transitions, line merging and limits, partial acceptance after a shortfall, the
// checkout's prerequisites, and demand summed per (sku, warehouse).
import { ErrorReason, isAppError } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import {
  acceptPartialQuantities,
  addLine,
  assertReadyForCheckout,
  CART_STATUSES,
  type CartContents,
  type CartEvent,
  type CartStatus,
  cartStatusAfter,
  demandPerSku,
  MAX_CART_LINES,
  MAX_LINE_QUANTITY,
  missingForCheckout,
  removeLine,
  updateLineQuantity,
} from "../src/domain/cart-rules.ts";

function failure(
  fn: () => unknown,
): { kind: string; reason: unknown; field: string | undefined } | undefined {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return { kind: err.kind, reason: err.reason, field: err.field };
    throw err;
  }
  return undefined;
}

const cart = (lines: CartContents["lines"] = [], status: CartStatus = "open"): CartContents => ({
  cartId: "c-1",
  status,
  lines,
  nextLineNumber: lines.reduce((n, l) => Math.max(n, l.lineNumber + 1), 1),
});

const EXPECTED: Record<CartStatus, Partial<Record<CartEvent, CartStatus>>> = {
  open: { start_checkout: "checking_out", abandon: "abandoned" },
  checking_out: { checkout_failed: "open", checkout_confirmed: "checked_out" },
  checked_out: {},
  abandoned: {},
};
const EVENTS: CartEvent[] = ["start_checkout", "checkout_failed", "checkout_confirmed", "abandon"];

describe("cart status", () => {
  for (const status of CART_STATUSES) {
    for (const event of EVENTS) {
      const target = EXPECTED[status][event];
      it(`${status} --${event}--> ${target ?? "refused"}`, () => {
        if (target) expect(cartStatusAfter(status, event)).toBe(target);
        else expect(failure(() => cartStatusAfter(status, event))?.kind).toBe("failed_precondition");
      });
    }
  }
});

describe("cart lines", () => {
  it("adds a line, merges the same sku and warehouse, keeps another warehouse apart", () => {
    const a = addLine(cart(), { sku: "A", quantity: 2, warehouseCode: null });
    expect(a).toEqual({
      lines: [{ lineNumber: 1, sku: "A", quantity: 2, warehouseCode: null }],
      nextLineNumber: 2,
      lineNumber: 1,
    });
    const merged = addLine(
      { ...cart(a.lines), nextLineNumber: a.nextLineNumber },
      { sku: "A", quantity: 3, warehouseCode: null },
    );
    expect(merged.lines).toEqual([{ lineNumber: 1, sku: "A", quantity: 5, warehouseCode: null }]);
    const apart = addLine(
      { ...cart(merged.lines), nextLineNumber: 2 },
      { sku: "A", quantity: 1, warehouseCode: "W1" },
    );
    expect(apart.lines).toHaveLength(2);
    expect(apart.lineNumber).toBe(2);
  });

  it("never reuses the number of a removed line", () => {
    const c = { ...cart([{ lineNumber: 1, sku: "A", quantity: 1, warehouseCode: null }]), nextLineNumber: 5 };
    const removed = removeLine(c, 1);
    expect(removed.lines).toEqual([]);
    expect(
      addLine({ ...c, lines: removed.lines }, { sku: "B", quantity: 1, warehouseCode: null }).lineNumber,
    ).toBe(5);
  });

  it("refuses changes to a cart that is not open, naming why", () => {
    expect(
      failure(() => addLine(cart([], "checking_out"), { sku: "A", quantity: 1, warehouseCode: null }))
        ?.reason,
    ).toBe(ErrorReason.CHECKOUT_IN_PROGRESS);
    expect(
      failure(() => addLine(cart([], "checked_out"), { sku: "A", quantity: 1, warehouseCode: null }))?.reason,
    ).toBe(ErrorReason.CART_NOT_OPEN);
  });

  it("refuses bad quantities, too many lines and too many units of one sku", () => {
    expect(failure(() => addLine(cart(), { sku: "A", quantity: 0, warehouseCode: null }))).toMatchObject({
      kind: "invalid_argument",
      field: "quantity",
    });
    expect(failure(() => addLine(cart(), { sku: "A", quantity: 1.5, warehouseCode: null }))?.field).toBe(
      "quantity",
    );
    const full = cart(
      Array.from({ length: MAX_CART_LINES }, (_, i) => ({
        lineNumber: i + 1,
        sku: `S${i}`,
        quantity: 1,
        warehouseCode: null,
      })),
    );
    expect(failure(() => addLine(full, { sku: "NEW", quantity: 1, warehouseCode: null }))?.reason).toBe(
      ErrorReason.CART_LIMIT_EXCEEDED,
    );
    // Merging into an existing line still works in a full cart.
    expect(addLine(full, { sku: "S0", quantity: 1, warehouseCode: null }).lines).toHaveLength(MAX_CART_LINES);
    const split = cart([
      { lineNumber: 1, sku: "A", quantity: MAX_LINE_QUANTITY - 1, warehouseCode: "W1" },
      { lineNumber: 2, sku: "A", quantity: 1, warehouseCode: "W2" },
    ]);
    expect(failure(() => updateLineQuantity(split, 2, 2))?.reason).toBe(ErrorReason.CART_LIMIT_EXCEEDED);
    expect(failure(() => updateLineQuantity(split, 9, 1))).toMatchObject({
      kind: "not_found",
      reason: ErrorReason.CART_LINE_NOT_FOUND,
    });
  });

  it("accepts partial quantities: lowers lines, drops zeros, refuses raises and repeats", () => {
    const c = cart([
      { lineNumber: 1, sku: "A", quantity: 5, warehouseCode: null },
      { lineNumber: 2, sku: "B", quantity: 3, warehouseCode: null },
      { lineNumber: 3, sku: "C", quantity: 1, warehouseCode: null },
    ]);
    expect(
      acceptPartialQuantities(c, [
        { lineNumber: 1, quantity: 2 },
        { lineNumber: 2, quantity: 0 },
      ]),
    ).toEqual([
      { lineNumber: 1, sku: "A", quantity: 2, warehouseCode: null },
      { lineNumber: 3, sku: "C", quantity: 1, warehouseCode: null },
    ]);
    expect(failure(() => acceptPartialQuantities(c, [{ lineNumber: 1, quantity: 6 }]))?.field).toBe(
      "lines[0].quantity",
    );
    expect(
      failure(() =>
        acceptPartialQuantities(c, [
          { lineNumber: 1, quantity: 1 },
          { lineNumber: 1, quantity: 1 },
        ]),
      )?.field,
    ).toBe("lines[1].line_number");
    expect(failure(() => acceptPartialQuantities(c, []))?.field).toBe("lines");
  });

  it("lists what a checkout still needs", () => {
    expect(missingForCheckout({ lines: [], hasShippingDestination: false, hasPaymentMethod: false })).toEqual(
      ["lines", "shipping_destination", "payment_method"],
    );
    const line = { lineNumber: 1, sku: "A", quantity: 1, warehouseCode: null };
    expect(
      missingForCheckout({ lines: [line], hasShippingDestination: true, hasPaymentMethod: true }),
    ).toEqual([]);
    expect(
      failure(() =>
        assertReadyForCheckout({
          cartId: "c",
          lines: [line],
          hasShippingDestination: true,
          hasPaymentMethod: false,
        }),
      )?.reason,
    ).toBe(ErrorReason.CHECKOUT_NOT_READY);
  });

  it("sums demand per (sku, warehouse) in one entry each", () => {
    expect(
      demandPerSku([
        { lineNumber: 1, sku: "A", quantity: 2, warehouseCode: "W1" },
        { lineNumber: 2, sku: "B", quantity: 1, warehouseCode: null },
        { lineNumber: 3, sku: "A", quantity: 3, warehouseCode: "W1" },
        { lineNumber: 4, sku: "A", quantity: 1, warehouseCode: null },
      ]),
    ).toEqual([
      { sku: "A", warehouseCode: "W1", quantity: 5, lineNumbers: [1, 3] },
      { sku: "B", warehouseCode: null, quantity: 1, lineNumbers: [2] },
      { sku: "A", warehouseCode: null, quantity: 1, lineNumbers: [4] },
    ]);
  });
});
