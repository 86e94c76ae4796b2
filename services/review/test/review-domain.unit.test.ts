// The review rules without a database: contributions to the figures, deltas, statuses after edits and
// moderation, body normalisation, and what proves a purchase.
import { describe, expect, it } from "vitest";
import { isFullyReturned, provesPurchase } from "../src/domain/purchase.ts";
import {
  averageOf,
  contributionDelta,
  figuresFromHistogram,
  isZeroDelta,
} from "../src/domain/rating-figures.ts";
import { bodyHashOf, canModerate, contributionOf, statusAfterEdit } from "../src/domain/review.ts";

describe("contributions", () => {
  it("counts published reviews, and verified ones only while their purchase is not returned", () => {
    expect(
      contributionOf({ status: "published", verified: true, purchaseReturned: false, rating: 4 }),
    ).toEqual({
      rating: 4,
      all: true,
      verified: true,
    });
    expect(
      contributionOf({ status: "published", verified: true, purchaseReturned: true, rating: 4 }).verified,
    ).toBe(false);
    expect(
      contributionOf({ status: "pending", verified: true, purchaseReturned: false, rating: 4 }).all,
    ).toBe(false);
    expect(
      contributionOf({ status: "published", verified: false, purchaseReturned: false, rating: 2 }).verified,
    ).toBe(false);
  });

  it("turns a change into a delta that moves one rating bucket", () => {
    const before = { rating: 2, all: true, verified: true };
    const after = { rating: 5, all: true, verified: false };
    expect(contributionDelta(before, after)).toEqual({ all: [0, -1, 0, 0, 1], verified: [0, -1, 0, 0, 0] });
    expect(isZeroDelta(contributionDelta(before, before))).toBe(true);
    expect(isZeroDelta(contributionDelta(null, { rating: 3, all: false, verified: false }))).toBe(true);
  });

  it("derives count, sum and average from the histogram", () => {
    const figures = figuresFromHistogram([1, 0, 0, 0, 3]);
    expect(figures).toMatchObject({ count: 4, sum: 16 });
    expect(averageOf(figures)).toBe(4);
    expect(averageOf(figuresFromHistogram([0, 0, 0, 0, 0]))).toBe(0);
  });
});

describe("statuses", () => {
  it("keeps a verified published review published after an edit, and sends others to moderation", () => {
    expect(statusAfterEdit({ status: "published", verified: true })).toBe("published");
    expect(statusAfterEdit({ status: "published", verified: false })).toBe("pending");
    expect(statusAfterEdit({ status: "rejected", verified: true })).toBe("pending");
  });

  it("approves only pending reviews and rejects pending or published ones", () => {
    expect(canModerate("approve", "pending")).toBe(true);
    expect(canModerate("approve", "rejected")).toBe(false);
    expect(canModerate("reject", "published")).toBe(true);
    expect(canModerate("reject", "deleted")).toBe(false);
  });

  it("treats bodies differing only in case and spacing as the same body", () => {
    expect(bodyHashOf("  Great  PRODUCT\n")).toBe(bodyHashOf("great product"));
    expect(bodyHashOf("great product!")).not.toBe(bodyHashOf("great product"));
  });
});

describe("proof of purchase", () => {
  it("is a delivered line with at least one unit kept", () => {
    expect(provesPurchase({ deliveredQuantity: 0, returnedQuantity: 0 })).toBe(false);
    expect(provesPurchase({ deliveredQuantity: 2, returnedQuantity: 1 })).toBe(true);
    expect(provesPurchase({ deliveredQuantity: 2, returnedQuantity: 2 })).toBe(false);
    expect(isFullyReturned({ deliveredQuantity: 2, returnedQuantity: 2 })).toBe(true);
    expect(isFullyReturned({ deliveredQuantity: 0, returnedQuantity: 0 })).toBe(false);
  });
});
