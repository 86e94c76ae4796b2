// The schema's own guards, below the code: ratings 1..5, text lengths, one live review per customer and
// order line, proof and status consistency, non-negative and self-consistent rating figures, and a
// projection line never returning more than it delivered.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReviewFixture, type ReviewFixture } from "./support/review-fixture.ts";

let f: ReviewFixture;

beforeAll(async () => {
  f = await createReviewFixture();
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
});

let n = 0;
function insertReview(over: Record<string, unknown> = {}) {
  n += 1;
  const row = {
    review_id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    sku: "SCH-1",
    customer_id: `c-${n}`,
    order_id: `o-${n}`,
    line_number: 1,
    rating: 4,
    body: "fine",
    body_hash: "a".repeat(64),
    status: "published",
    verified: true,
    proof_source: "projection",
    published_at: new Date(),
    ...over,
  };
  const columns = Object.keys(row);
  return f.q(
    `INSERT INTO reviews (${columns.join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`,
    Object.values(row),
  );
}

async function violation(call: Promise<unknown>): Promise<string> {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: string; constraint?: string } | undefined;
  if (!err?.code) throw new Error("expected the database to refuse the row");
  return err.code;
}

describe("review schema", () => {
  it("refuses ratings outside 1..5, over-long text and an empty body", async () => {
    expect(await violation(insertReview({ rating: 0 }))).toBe("23514");
    expect(await violation(insertReview({ rating: 6 }))).toBe("23514");
    expect(await violation(insertReview({ body: "" }))).toBe("23514");
    expect(await violation(insertReview({ body: "x".repeat(5001) }))).toBe("23514");
    expect(await violation(insertReview({ title: "t".repeat(151) }))).toBe("23514");
    expect(await violation(insertReview({ sku: "bad sku" }))).toBe("23514");
  });

  it("refuses a verified review without its order line, and a published one without published_at", async () => {
    expect(await violation(insertReview({ order_id: null, line_number: null }))).toBe("23514");
    expect(await violation(insertReview({ proof_source: null }))).toBe("23514");
    expect(await violation(insertReview({ published_at: null }))).toBe("23514");
    expect(await violation(insertReview({ line_number: null }))).toBe("23514");
  });

  it("keeps one live review per customer and order line; a deleted one frees the line", async () => {
    await insertReview({ customer_id: "same", order_id: "o-same" });
    expect(await violation(insertReview({ customer_id: "same", order_id: "o-same" }))).toBe("23505");
    await f.q("UPDATE reviews SET status = 'deleted' WHERE customer_id = 'same'");
    await insertReview({ customer_id: "same", order_id: "o-same" });
    const unproven = {
      customer_id: "u",
      order_id: null,
      line_number: null,
      verified: false,
      proof_source: null,
      status: "pending",
      published_at: null,
    };
    await insertReview(unproven);
    expect(await violation(insertReview(unproven))).toBe("23505");
  });

  it("keeps rating figures non-negative and their counts, sums and histograms in agreement", async () => {
    expect(await violation(f.q("INSERT INTO rating_aggregates (sku, all_1) VALUES ('AG-1', -1)"))).toBe(
      "23514",
    );
    expect(
      await violation(f.q("INSERT INTO rating_aggregates (sku, all_count, all_1) VALUES ('AG-1', 2, 1)")),
    ).toBe("23514");
    expect(
      await violation(
        f.q(
          "INSERT INTO rating_aggregates (sku, all_count, all_sum, all_1, verified_count, verified_sum, verified_2) VALUES ('AG-1', 1, 1, 1, 1, 2, 1)",
        ),
      ),
    ).toBe("23514");
  });

  it("refuses a projection line with more returned than delivered units", async () => {
    expect(
      await violation(
        f.q(
          `INSERT INTO verified_purchases (order_id, line_number, customer_id, sku, delivered_quantity, returned_quantity, order_version)
           VALUES ('o', 1, 'c', 'S', 1, 2, 1)`,
        ),
      ),
    ).toBe("23514");
  });
});
