// The synchronous check with the order service's VerifyPurchase, over real gRPC through the service's
// own client and breaker, fails closed (REV-P0-01): an order service that is stopped, times out,
// errors, or answers anything but a delivered and not fully returned line gives no verified review;
// only an explicit proof does. The projection is empty throughout, so the answer decides alone.
import { isAppError } from "@stockroom/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubmitReviewInput } from "../src/app/submit-review.ts";
import { createOrderPurchasesClient } from "../src/transport/grpc/order-purchases.client.ts";
import {
  type OrderServiceDouble,
  startOrderServiceDouble,
  TEST_JWT,
} from "./support/order-service-double.ts";
import { createReviewFixture, customer, type ReviewFixture } from "./support/review-fixture.ts";

let order: OrderServiceDouble;
let client: ReturnType<typeof createOrderPurchasesClient>;
let f: ReviewFixture;
const verifyErrors: unknown[] = [];

const proof = (sku: string, delivered = 1, returned = 0) => ({
  verified: true,
  lines: [
    {
      orderId: "ORD-9",
      lineNumber: 2,
      sku,
      deliveredQuantity: delivered,
      returnedQuantity: returned,
      deliveredAt: { seconds: 1_700_000_000n, nanos: 0 },
    },
  ],
});

beforeAll(async () => {
  order = await startOrderServiceDouble(async (request) => proof(request.sku));
  client = createOrderPurchasesClient({
    address: order.address,
    jwt: TEST_JWT,
    deadlineMs: 300,
    breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000 },
  });
  f = await createReviewFixture({ orderPurchases: client, onVerifyError: (err) => verifyErrors.push(err) });
}, 60_000);

afterAll(async () => {
  client?.close();
  await order?.stop();
  await f?.cleanup();
});

let n = 0;
function input(sku: string): SubmitReviewInput {
  n += 1;
  return { idempotencyKey: `k-${n}`, sku, rating: 4, title: "", body: `body ${n}`, language: "en" };
}

async function refusalReason(call: Promise<unknown>) {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAppError(err)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err.reason;
}

const PURCHASE_NOT_VERIFIED = 501;

describe("VerifyPurchase behind a breaker", () => {
  it("verifies on the order service's explicit proof, and asks it with the token subject", async () => {
    const review = await f.useCases.reviews.submitReview(input("S-OK"), customer("cust-sync"));
    expect(review).toMatchObject({
      verified: true,
      proofSource: "order_service",
      orderId: "ORD-9",
      lineNumber: 2,
    });
    expect(order.calls.at(-1)).toMatchObject({ customerId: "cust-sync", sku: "S-OK" });
  });

  it("does not verify on verified=false, a fully returned line, another sku, or an error status", async () => {
    const answers = [
      async () => ({ verified: false, lines: [] }),
      async (r: { sku: string }) => proof(r.sku, 1, 1),
      async () => proof("SOMETHING-ELSE"),
      async () => {
        throw new Error("boom");
      },
    ];
    for (const [i, answer] of answers.entries()) {
      order.answer = answer;
      expect(
        await refusalReason(f.useCases.reviews.submitReview(input(`S-NO-${i}`), customer(`c-no-${i}`))),
      ).toBe(PURCHASE_NOT_VERIFIED);
    }
    expect(await f.q("SELECT count(*)::int AS n FROM reviews WHERE sku LIKE 'S-NO-%'")).toEqual([{ n: 0 }]);
  });

  it("does not verify when the order service times out, then when it is stopped (and the breaker opens)", async () => {
    order.answer = async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return proof(r.sku);
    };
    const before = verifyErrors.length;
    const started = Date.now();
    expect(await refusalReason(f.useCases.reviews.submitReview(input("S-SLOW"), customer("c-slow")))).toBe(
      PURCHASE_NOT_VERIFIED,
    );
    expect(Date.now() - started).toBeLessThan(1_900);
    await order.stop();
    for (let i = 0; i < 8; i++) {
      expect(
        await refusalReason(f.useCases.reviews.submitReview(input(`S-DOWN-${i}`), customer(`c-down-${i}`))),
      ).toBe(PURCHASE_NOT_VERIFIED);
    }
    expect(verifyErrors.length - before).toBe(9);
    expect(client.breakerState()).toBe("open");
    expect(await f.q("SELECT count(*)::int AS n FROM reviews WHERE verified")).toEqual([{ n: 1 }]);
  });
});
