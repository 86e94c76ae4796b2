// Model test (fast-check, real PostgreSQL): after any mix of submits, edits, deletes, approvals,
// rejections, helpful votes and full returns, by several customers on a few skus, every sku's stored
// rating figures equal a recomputation from its reviews, and the figures' versions match the
// RatingSummaryChanged events written.
import { isAppError } from "@stockroom/errors";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderDelivered, orderReturned, orderSnapshot } from "./support/order-events.ts";
import { createReviewFixture, customer, MODERATOR, type ReviewFixture } from "./support/review-fixture.ts";

let f: ReviewFixture;
const SKUS = ["MA", "MB"] as const;
const CUSTOMERS = ["c1", "c2", "c3"] as const;

beforeAll(async () => {
  f = await createReviewFixture({
    policy: { unverified: "moderate", maxReviewsPerDay: 1_000, duplicateBodyWindowMs: 1 },
  });
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
});

type Command =
  | { kind: "deliver"; who: number; sku: number }
  | { kind: "return"; who: number; sku: number }
  | { kind: "submit"; who: number; sku: number; rating: number }
  | { kind: "edit"; pick: number; rating: number }
  | { kind: "delete"; pick: number }
  | { kind: "approve"; pick: number }
  | { kind: "reject"; pick: number }
  | { kind: "vote"; pick: number; who: number };

const who = fc.nat({ max: CUSTOMERS.length - 1 });
const sku = fc.nat({ max: SKUS.length - 1 });
const rating = fc.integer({ min: 1, max: 5 });
const pick = fc.nat({ max: 1_000 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("deliver" as const), who, sku }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("return" as const), who, sku }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("submit" as const), who, sku, rating }), weight: 3 },
  fc.record({ kind: fc.constant("edit" as const), pick, rating }),
  fc.record({ kind: fc.constant("delete" as const), pick }),
  fc.record({ kind: fc.constant("approve" as const), pick }),
  fc.record({ kind: fc.constant("reject" as const), pick }),
  fc.record({ kind: fc.constant("vote" as const), pick, who }),
);

let runNo = 0;

describe("rating aggregates", () => {
  it("equal a recomputation from the reviews after any mix of changes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 40, size: "max" }), async (commands) => {
        runNo += 1;
        const prefix = `r${runNo}`;
        const skuOf = (i: number) => `${prefix}-${SKUS[i]}`;
        const orderVersions = new Map<string, number>();
        const reviewIds: { id: string; author: string }[] = [];
        let step = 0;
        // Each delivery is a new order of the pair; a return sends back the pair's oldest order not yet
        // returned, in full (the one a review of the pair rests on first).
        const openOrders = new Map<string, string[]>();
        const orderEvent = async (c: { who: number; sku: number }, returned: boolean) => {
          const customerId = `${prefix}-${CUSTOMERS[c.who]}`;
          const pair = `${c.who}-${c.sku}`;
          const open = openOrders.get(pair) ?? [];
          openOrders.set(pair, open);
          const orderId = returned ? open.shift() : `${prefix}-${pair}-${step}`;
          if (!orderId) return;
          if (!returned) open.push(orderId);
          const version = (orderVersions.get(orderId) ?? 1) + 1;
          orderVersions.set(orderId, version);
          const lines = [{ lineNumber: 1, sku: skuOf(c.sku), delivered: 1, returned: returned ? 1 : 0 }];
          const order = orderSnapshot(orderId, customerId, lines, version);
          const units = [{ lineNumber: 1, sku: skuOf(c.sku), quantity: 1 }];
          await f.applyEnvelope(
            returned ? orderReturned("t", order, version, units) : orderDelivered("t", order, version, units),
          );
        };
        for (const c of commands) {
          step += 1;
          const key = `${prefix}-${step}`;
          const target =
            reviewIds.length > 0 && "pick" in c ? reviewIds[c.pick % reviewIds.length] : undefined;
          // Refusals (already reviewed, wrong state, not the author) are part of the model: they change nothing.
          await (async () => {
            if (c.kind === "deliver" || c.kind === "return") return orderEvent(c, c.kind === "return");
            if (c.kind === "submit") {
              const author = `${prefix}-${CUSTOMERS[c.who]}`;
              const review = await f.useCases.reviews.submitReview(
                {
                  idempotencyKey: key,
                  sku: skuOf(c.sku),
                  rating: c.rating,
                  title: "",
                  body: `b ${key}`,
                  language: "",
                },
                customer(author),
              );
              reviewIds.push({ id: review.reviewId, author });
              return;
            }
            if (!target) return;
            if (c.kind === "edit")
              return f.useCases.reviews.editReview(
                {
                  idempotencyKey: key,
                  reviewId: target.id,
                  rating: c.rating,
                  title: "",
                  body: `e ${key}`,
                  language: "",
                },
                customer(target.author),
              );
            if (c.kind === "delete")
              return f.useCases.reviews.deleteReview(
                { idempotencyKey: key, reviewId: target.id },
                customer(target.author),
              );
            if (c.kind === "approve")
              return f.useCases.admin.approveReview(
                { idempotencyKey: key, reviewId: target.id, reason: "" },
                MODERATOR,
              );
            if (c.kind === "reject")
              return f.useCases.admin.rejectReview(
                { idempotencyKey: key, reviewId: target.id, reason: "spam" },
                MODERATOR,
              );
            return f.useCases.reviews.voteReviewHelpful(
              { idempotencyKey: key, reviewId: target.id },
              customer(`${prefix}-${CUSTOMERS[c.who]}`),
            );
          })().catch((err: unknown) => {
            // Only the service's own refusals; a database error (a CHECK) would be a bug.
            if (!isAppError(err) || err.kind === "internal") throw err;
          });
        }
        for (const i of SKUS.keys()) {
          const { stored, recomputed } = await f.figures(skuOf(i));
          expect(stored).toEqual(recomputed);
          const [versions] = await f.q<{ events: number; version: number }>(
            `SELECT (SELECT count(*)::int FROM outbox WHERE aggregate_type = 'rating_summary' AND aggregate_id = $1) AS events,
                    coalesce((SELECT version::int FROM rating_aggregates WHERE sku = $1), 0) AS version`,
            [skuOf(i)],
          );
          expect(versions?.events).toBe(versions?.version);
        }
      }),
      { numRuns: 40 },
    );
    // The runs did reach every kind of contribution (not a vacuous pass).
    const [seen] = await f.q<Record<string, number>>(
      `SELECT count(*) FILTER (WHERE status = 'published')::int AS published,
              count(*) FILTER (WHERE status = 'published' AND verified AND NOT purchase_returned)::int AS verified,
              count(*) FILTER (WHERE purchase_returned)::int AS returned,
              count(*) FILTER (WHERE status = 'rejected')::int AS rejected,
              count(*) FILTER (WHERE status = 'deleted')::int AS deleted,
              (SELECT count(*)::int FROM verified_purchases WHERE returned_quantity > 0) AS lines_returned,
              count(*) FILTER (WHERE verified)::int AS any_verified
       FROM reviews`,
    );
    for (const [what, n] of Object.entries(seen ?? {})) expect(n, what).toBeGreaterThan(0);
  }, 240_000);
});
