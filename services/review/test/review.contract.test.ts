// Contract tests of ReviewService and ReviewAdminService over both transports (gRPC and Connect): an
// in-process server over a migrated schema, called with the generated clients and real tokens. Every
// RPC refuses a caller without a token and a caller without the role; bad input is INVALID_ARGUMENT
// naming the field and changes nothing; the author is the token subject; moderation moves the figures;
// pages follow their tokens.
import { createHash } from "node:crypto";
import { createTokenIssuer, createTokenVerifier, type Role } from "@stockroom/auth";
import {
  createGrpcServer,
  type GrpcServer,
  isGrpcCallError,
  status,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { ReviewAdminService } from "@stockroom/proto/stockroom/review/v1/review_admin_service_pb.js";
import { ReviewStatus } from "@stockroom/proto/stockroom/review/v1/review_pb.js";
import { ReviewService, ReviewSort } from "@stockroom/proto/stockroom/review/v1/review_service_pb.js";
import { CONTRACT_TRANSPORTS, type ContractEndpoint, startContractEndpoint } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReviewHandler, REVIEW_POLICY } from "../src/transport/grpc/review.handler.ts";
import { createReviewAdminHandler, REVIEW_ADMIN_POLICY } from "../src/transport/grpc/review-admin.handler.ts";
import { orderDelivered, orderSnapshot } from "./support/order-events.ts";
import { createReviewFixture, type ReviewFixture } from "./support/review-fixture.ts";

const SECRET = "contract-test-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };
const ROLES = ["storefront", "ops", "admin", "service"] as const;

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  let f: ReviewFixture;
  let server: GrpcServer;
  let endpoint: ContractEndpoint;
  let reviews: TypedClient<typeof ReviewService>;
  let admin: TypedClient<typeof ReviewAdminService>;
  const tokens = new Map<string, string>();
  const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });

  // A caller with one role; storefront callers are customers named by their subject.
  async function as(role: Role, subject = `test-${role}`) {
    const key = `${role}:${subject}`;
    if (!tokens.has(key)) tokens.set(key, await issuer.issue({ subject, roles: [role] }));
    return { metadata: { authorization: `Bearer ${tokens.get(key)}` } };
  }

  beforeAll(async () => {
    f = await createReviewFixture({ policy: { unverified: "moderate", maxReviewsPerDay: 3 } });
    server = createGrpcServer({
      logger: createLogger({ service: "review-contract", level: "silent" }),
      registry: createMetricsRegistry({ service: "review-contract", collectDefaults: false }),
      verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
    });
    server.register(ReviewService, createReviewHandler(f.useCases.reviews), REVIEW_POLICY);
    server.register(ReviewAdminService, createReviewAdminHandler(f.useCases.admin), REVIEW_ADMIN_POLICY);
    endpoint = await startContractEndpoint(server, transport);
    reviews = endpoint.client(ReviewService);
    admin = endpoint.client(ReviewAdminService);
  }, 60_000);

  afterAll(async () => {
    await endpoint?.close();
    await f?.cleanup();
  });

  async function failure(call: Promise<unknown>) {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isGrpcCallError(err)) throw new Error(`expected a gRPC error, got ${String(err)}`);
    return { code: err.code, field: err.errorDetail?.field };
  }

  async function bought(customerId: string, sku: string) {
    const order = orderSnapshot(
      `O-${customerId}-${sku}`,
      customerId,
      [{ lineNumber: 1, sku, delivered: 1 }],
      2,
    );
    await f.applyEnvelope(orderDelivered("t", order, 2, [{ lineNumber: 1, sku, quantity: 1 }]));
  }

  // The key follows the request: the same request gets the same key, another request another key.
  const submitRequest = (sku: string, over: Record<string, unknown> = {}) => ({
    idempotencyKey: `k-${createHash("sha256")
      .update(`${sku}:${JSON.stringify(over)}`)
      .digest("hex")
      .slice(0, 32)}`,
    sku,
    rating: 5,
    title: "Great",
    body: `Loved ${sku}`,
    language: "en",
    ...over,
  });

  const ID = "01a2348d-a638-7597-905e-5a71e3f354f4";

  // Every RPC with a well-formed request: without a token UNAUTHENTICATED, with a role it does not allow
  // PERMISSION_DENIED (checked before anything runs).
  const calls = {
    submitReview: () => [reviews.submitReview, submitRequest("AUTH-1")] as const,
    editReview: () =>
      [reviews.editReview, { idempotencyKey: "e", reviewId: ID, rating: 3, body: "x" }] as const,
    deleteReview: () => [reviews.deleteReview, { idempotencyKey: "d", reviewId: ID }] as const,
    voteReviewHelpful: () => [reviews.voteReviewHelpful, { idempotencyKey: "v", reviewId: ID }] as const,
    listReviews: () => [reviews.listReviews, { sku: "AUTH-1" }] as const,
    getRatingSummary: () => [reviews.getRatingSummary, { skus: ["AUTH-1"] }] as const,
    listModerationQueue: () => [admin.listModerationQueue, {}] as const,
    approveReview: () => [admin.approveReview, { idempotencyKey: "a", reviewId: ID }] as const,
    rejectReview: () => [admin.rejectReview, { idempotencyKey: "r", reviewId: ID, reason: "spam" }] as const,
    listReviewsByStatus: () => [admin.listReviewsByStatus, { status: ReviewStatus.PENDING }] as const,
    getReview: () => [admin.getReview, { reviewId: ID }] as const,
  };
  const policies: Record<string, readonly string[]> = { ...REVIEW_POLICY, ...REVIEW_ADMIN_POLICY } as never;

  it("refuses every RPC without a token, and with a role its policy does not name", async () => {
    for (const [name, make] of Object.entries(calls)) {
      const [method, request] = make();
      const call = method as (r: unknown, o?: unknown) => Promise<unknown>;
      expect((await failure(call(request))).code, `${name} without a token`).toBe(status.UNAUTHENTICATED);
      for (const role of ROLES.filter((r) => !policies[name]?.includes(r))) {
        expect((await failure(call(request, await as(role)))).code, `${name} as ${role}`).toBe(
          status.PERMISSION_DENIED,
        );
      }
    }
    expect(await f.q("SELECT count(*)::int AS n FROM reviews")).toEqual([{ n: 0 }]);
  });

  it("names the bad field of every RPC and changes nothing", async () => {
    const store = await as("storefront", "cust-bad");
    const ops = await as("ops");
    const cases: [() => Promise<unknown>, string][] = [
      [() => reviews.submitReview(submitRequest("BAD-1", { idempotencyKey: "" }), store), "idempotency_key"],
      [() => reviews.submitReview(submitRequest("a:b"), store), "sku"],
      [() => reviews.submitReview(submitRequest("BAD-1", { rating: 0 }), store), "rating"],
      [() => reviews.submitReview(submitRequest("BAD-1", { rating: 6 }), store), "rating"],
      [() => reviews.submitReview(submitRequest("BAD-1", { body: "   " }), store), "body"],
      [() => reviews.submitReview(submitRequest("BAD-1", { body: "x".repeat(5001) }), store), "body"],
      [() => reviews.submitReview(submitRequest("BAD-1", { body: "bell\u0007" }), store), "body"],
      [() => reviews.submitReview(submitRequest("BAD-1", { title: "t".repeat(151) }), store), "title"],
      [() => reviews.submitReview(submitRequest("BAD-1", { language: "English!" }), store), "language"],
      [() => reviews.submitReview(submitRequest("BAD-1", { orderId: "bad order" }), store), "order_id"],
      [
        () => reviews.editReview({ idempotencyKey: "e", reviewId: "nope", rating: 3, body: "x" }, store),
        "review_id",
      ],
      [
        () => reviews.editReview({ idempotencyKey: "e", reviewId: ID, rating: 9, body: "x" }, store),
        "rating",
      ],
      [
        () =>
          reviews.editReview(
            { idempotencyKey: "e", reviewId: ID, rating: 3, body: "x", expectedVersion: -1n },
            store,
          ),
        "expected_version",
      ],
      [() => reviews.deleteReview({ idempotencyKey: "", reviewId: ID }, store), "idempotency_key"],
      [() => reviews.voteReviewHelpful({ idempotencyKey: "v", reviewId: "" }, store), "review_id"],
      [() => reviews.listReviews({ sku: "" }, store), "sku"],
      [() => reviews.listReviews({ sku: "S-1", pageSize: 101 }, store), "page_size"],
      [() => reviews.listReviews({ sku: "S-1", sort: 9 as ReviewSort }, store), "sort"],
      [() => reviews.listReviews({ sku: "S-1", pageToken: "garbage" }, store), "page_token"],
      [() => reviews.getRatingSummary({ skus: [] }, store), "skus"],
      [() => reviews.getRatingSummary({ skus: ["OK-1", "a b"] }, store), "skus[1]"],
      [
        () => reviews.getRatingSummary({ skus: Array.from({ length: 101 }, (_, i) => `S-${i}`) }, store),
        "skus",
      ],
      [() => admin.listModerationQueue({ pageSize: -1 }, ops), "page_size"],
      [() => admin.listModerationQueue({ pageToken: "x" }, ops), "page_token"],
      [() => admin.approveReview({ idempotencyKey: "a", reviewId: ID, note: "n".repeat(501) }, ops), "note"],
      [() => admin.rejectReview({ idempotencyKey: "r", reviewId: ID, reason: "" }, ops), "reason"],
      [() => admin.rejectReview({ idempotencyKey: "r", reviewId: "x", reason: "spam" }, ops), "review_id"],
      [() => admin.listReviewsByStatus({}, ops), "status"],
      [() => admin.listReviewsByStatus({ status: ReviewStatus.PENDING, sku: "a:b" }, ops), "sku"],
      [() => admin.getReview({ reviewId: "" }, ops), "review_id"],
    ];
    for (const [call, field] of cases) {
      expect(await failure(call()), field).toEqual({ code: status.INVALID_ARGUMENT, field });
    }
    expect(
      await f.q("SELECT (SELECT count(*)::int FROM reviews) + (SELECT count(*)::int FROM outbox) AS n"),
    ).toEqual([{ n: 0 }]);
  });

  it("takes the author from the token, verifies a buyer, and keeps a review to its author", async () => {
    await bought("cust-1", "CT-1");
    const store = await as("storefront", "cust-1");
    const { review } = await reviews.submitReview(submitRequest("CT-1"), store);
    expect(review).toMatchObject({ customerId: "cust-1", verified: true, status: ReviewStatus.PUBLISHED });
    expect(review?.proof).toMatchObject({
      orderId: "O-cust-1-CT-1",
      lineNumber: 1,
      returned: false,
      source: "projection",
    });
    // Another customer cannot see it as theirs.
    const other = await as("storefront", "cust-2");
    const edit = { idempotencyKey: "e1", reviewId: review?.reviewId ?? "", rating: 1, body: "hijacked" };
    expect((await failure(reviews.editReview(edit, other))).code).toBe(status.NOT_FOUND);
    expect(
      (await failure(reviews.deleteReview({ idempotencyKey: "d1", reviewId: edit.reviewId }, other))).code,
    ).toBe(status.NOT_FOUND);
    // Its author edits it (stays published: verified) and others vote once each.
    const edited = await reviews.editReview(
      { ...edit, body: "Still good", rating: 4, expectedVersion: 1n },
      store,
    );
    expect(edited.review).toMatchObject({ rating: 4, status: ReviewStatus.PUBLISHED, version: 2n });
    expect(
      (await failure(reviews.editReview({ ...edit, idempotencyKey: "e2", expectedVersion: 1n }, store))).code,
    ).toBe(status.FAILED_PRECONDITION);
    await reviews.voteReviewHelpful({ idempotencyKey: "v1", reviewId: edit.reviewId }, other);
    const voted = await reviews.voteReviewHelpful({ idempotencyKey: "v2", reviewId: edit.reviewId }, other);
    expect(voted.review?.helpfulVotes).toBe(1);
    expect(
      (await failure(reviews.voteReviewHelpful({ idempotencyKey: "v3", reviewId: edit.reviewId }, store)))
        .code,
    ).toBe(status.FAILED_PRECONDITION);
    const { summaries } = await reviews.getRatingSummary({ skus: ["CT-1", "NONE-1", "CT-1"] }, store);
    expect(summaries.map((s) => [s.sku, s.all?.count, s.all?.average, s.verified?.count])).toEqual([
      ["CT-1", 1n, 4, 1n],
      ["NONE-1", 0n, 0, 0n],
    ]);
    expect(summaries[0]?.all?.histogram).toMatchObject({ four: 1n, five: 0n });
  });

  it("holds an unverified review for moderation; ops approve and reject with a reason; history kept", async () => {
    const store = await as("storefront", "cust-3");
    const ops = await as("ops", "moderator-1");
    const { review } = await reviews.submitReview(submitRequest("MOD-1", { rating: 2 }), store);
    expect(review).toMatchObject({ verified: false, status: ReviewStatus.PENDING });
    const queue = await admin.listModerationQueue({}, ops);
    expect(queue.reviews.map((r) => r.reviewId)).toContain(review?.reviewId);
    const id = review?.reviewId ?? "";
    const approved = await admin.approveReview({ idempotencyKey: "ap1", reviewId: id }, ops);
    expect(approved.review?.status).toBe(ReviewStatus.PUBLISHED);
    expect((await failure(admin.approveReview({ idempotencyKey: "ap2", reviewId: id }, ops))).code).toBe(
      status.FAILED_PRECONDITION,
    );
    let summary = (await reviews.getRatingSummary({ skus: ["MOD-1"] }, store)).summaries[0];
    expect([summary?.all?.count, summary?.verified?.count]).toEqual([1n, 0n]);
    const rejected = await admin.rejectReview(
      { idempotencyKey: "rj1", reviewId: id, reason: "off topic" },
      ops,
    );
    expect(rejected.review).toMatchObject({ status: ReviewStatus.REJECTED, moderationReason: "off topic" });
    summary = (await reviews.getRatingSummary({ skus: ["MOD-1"] }, store)).summaries[0];
    expect(summary?.all?.count).toBe(0n);
    const { history } = await admin.getReview({ reviewId: id }, ops);
    expect(history.map((h) => [h.toStatus, h.actor])).toEqual([
      [ReviewStatus.PENDING, "cust-3"],
      [ReviewStatus.PUBLISHED, "moderator-1"],
      [ReviewStatus.REJECTED, "moderator-1"],
    ]);
    const byStatus = await admin.listReviewsByStatus({ status: ReviewStatus.REJECTED, sku: "MOD-1" }, ops);
    expect(byStatus.reviews.map((r) => r.reviewId)).toEqual([id]);
    expect((await failure(admin.getReview({ reviewId: ID }, ops))).code).toBe(status.NOT_FOUND);
  });

  it("refuses the abuse limits: the same body again, more than the day's reviews", async () => {
    const store = await as("storefront", "cust-4");
    await reviews.submitReview(submitRequest("AB-1", { body: "Same words" }), store);
    expect(
      (await failure(reviews.submitReview(submitRequest("AB-2", { body: "  same   WORDS " }), store))).code,
    ).toBe(status.ALREADY_EXISTS);
    await reviews.submitReview(submitRequest("AB-3"), store);
    await reviews.submitReview(submitRequest("AB-4"), store);
    expect((await failure(reviews.submitReview(submitRequest("AB-5"), store))).code).toBe(
      status.RESOURCE_EXHAUSTED,
    );
    // The same key and request answers the first result; another request under it is refused.
    const again = await reviews.submitReview(submitRequest("AB-3"), store);
    expect(again.review?.sku).toBe("AB-3");
    expect((await failure(reviews.submitReview({ ...submitRequest("AB-3"), rating: 1 }, store))).code).toBe(
      status.FAILED_PRECONDITION,
    );
  });

  it("lists published reviews only, in each sort, page by page", async () => {
    const ops = await as("ops");
    const ids: string[] = [];
    for (const [i, rating] of [3, 5, 1, 4].entries()) {
      const who = `pager-${i}`;
      await bought(who, "PG-1");
      const { review } = await reviews.submitReview(
        submitRequest("PG-1", { rating }),
        await as("storefront", who),
      );
      ids.push(review?.reviewId ?? "");
    }
    await admin.rejectReview({ idempotencyKey: "rj-pg", reviewId: ids[2] ?? "", reason: "spam" }, ops);
    const store = await as("storefront", "reader");
    const collect = async (sort: ReviewSort) => {
      const seen: number[] = [];
      let pageToken = "";
      do {
        const page = await reviews.listReviews({ sku: "PG-1", sort, pageSize: 2, pageToken }, store);
        seen.push(...page.reviews.map((r) => r.rating));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      return seen;
    };
    expect(await collect(ReviewSort.NEWEST)).toEqual([4, 5, 3]);
    expect(await collect(ReviewSort.RATING)).toEqual([5, 4, 3]);
    await reviews.voteReviewHelpful({ idempotencyKey: "hv-1", reviewId: ids[0] ?? "" }, store);
    expect(await collect(ReviewSort.HELPFULNESS)).toEqual([3, 4, 5]);
    const first = await reviews.listReviews({ sku: "PG-1", pageSize: 2 }, store);
    expect(
      (
        await failure(
          reviews.listReviews(
            { sku: "PG-1", sort: ReviewSort.RATING, pageToken: first.nextPageToken },
            store,
          ),
        )
      ).field,
    ).toBe("page_token");
  });
});
