// 50 concurrent submits of the same review, over a real pool: with one idempotency key every caller gets
// the same review back; with 50 keys one review is written and the others are refused ALREADY_EXISTS.
// Either way one review, one aggregate change and one published event.
import { isAppError } from "@stockroom/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderDelivered, orderSnapshot } from "./support/order-events.ts";
import { createReviewFixture, customer, type ReviewFixture } from "./support/review-fixture.ts";

let f: ReviewFixture;

beforeAll(async () => {
  f = await createReviewFixture({ poolMax: 20, policy: { maxReviewsPerDay: 100 } });
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
});

async function bought(who: string, sku: string) {
  const order = orderSnapshot(`O-${who}`, who, [{ lineNumber: 1, sku, delivered: 1 }], 2);
  await f.applyEnvelope(orderDelivered("t", order, 2, [{ lineNumber: 1, sku, quantity: 1 }]));
}

const request = (sku: string, key: string) => ({
  idempotencyKey: key,
  sku,
  rating: 5,
  title: "Great",
  body: "Works as described",
  language: "en",
});

async function counts(sku: string) {
  const [row] = await f.q<{ reviews: number; published: number; summaries: number }>(
    `SELECT (SELECT count(*)::int FROM reviews WHERE sku = $1) AS reviews,
            (SELECT count(*)::int FROM outbox WHERE event_type = 'ReviewPublished' AND message_key IN
               (SELECT review_id::text FROM reviews WHERE sku = $1)) AS published,
            (SELECT count(*)::int FROM outbox WHERE aggregate_type = 'rating_summary' AND aggregate_id = $1) AS summaries`,
    [sku],
  );
  return row;
}

describe("concurrent submits", () => {
  it("one key, 50 callers: one review, the same answer for all", async () => {
    await bought("cust-1", "CC-1");
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        f.useCases.reviews.submitReview(request("CC-1", "same-key"), customer("cust-1")),
      ),
    );
    expect(new Set(results.map((r) => r.reviewId)).size).toBe(1);
    expect(await counts("CC-1")).toEqual({ reviews: 1, published: 1, summaries: 1 });
    expect((await f.figures("CC-1")).stored).toMatchObject({ all_count: 1, verified_count: 1 });
  });

  it("50 keys, 50 callers: one review, 49 ALREADY_EXISTS", async () => {
    await bought("cust-2", "CC-2");
    const settled = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        f.useCases.reviews.submitReview(request("CC-2", `key-${i}`), customer("cust-2")),
      ),
    );
    const fulfilled = settled.filter((s) => s.status === "fulfilled");
    const refused = settled.flatMap((s) => (s.status === "rejected" ? [s.reason] : []));
    expect(fulfilled).toHaveLength(1);
    expect(refused.every((e) => isAppError(e) && e.kind === "already_exists")).toBe(true);
    expect(await counts("CC-2")).toEqual({ reviews: 1, published: 1, summaries: 1 });
    const { stored, recomputed } = await f.figures("CC-2");
    expect(stored).toEqual(recomputed);
  });
});
