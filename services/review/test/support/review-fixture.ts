// Shared setup of the review tests: a migrated throwaway schema, the service's own use cases over it
// (buildUseCases), request contexts per customer, and the recomputation of a sku's rating figures from
// its reviews that the aggregates must always equal.
import { fileURLToPath } from "node:url";
import { fromBinary } from "@bufbuild/protobuf";
import { createDb, withTransaction } from "@stockroom/db";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { buildUseCases } from "../../src/app/build-use-cases.ts";
import type { OrderPurchasesPort } from "../../src/app/order-purchases.port.ts";
import { createUseCaseDeps, type RequestContext } from "../../src/app/use-case-deps.ts";
import type { ReviewDatabase } from "../../src/data/database.ts";
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from "../../src/domain/review-policy.ts";
import { applyOrderEvent } from "../../src/transport/kafka/order-events.consumer.ts";

export const MIGRATIONS = fileURLToPath(new URL("../../../../migrations/review", import.meta.url));
export const TOPIC = "review.review.v1.test";

export function customer(id: string): RequestContext {
  return { producer: "review", actor: id, principal: id };
}

export const MODERATOR: RequestContext = { producer: "review", actor: "ops-1", principal: "ops-1" };

export interface FixtureOptions {
  policy?: Partial<ReviewPolicy>;
  orderPurchases?: OrderPurchasesPort;
  poolMax?: number;
  onVerifyError?: (err: unknown) => void;
}

export async function createReviewFixture(options: FixtureOptions = {}) {
  const schema: TestSchema = await createTestSchema({
    migrations: MIGRATIONS,
    poolMax: options.poolMax ?? 10,
  });
  const db = createDb<ReviewDatabase>(schema.pool);
  const deps = createUseCaseDeps(db, {
    topic: TOPIC,
    policy: { ...DEFAULT_REVIEW_POLICY, ...options.policy },
    orderPurchases: options.orderPurchases,
  });
  const useCases = buildUseCases(deps, options.onVerifyError ? { onVerifyError: options.onVerifyError } : {});
  const q = <R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values: unknown[] = [],
  ) => schema.pool.query<R>(text, values).then((r) => r.rows);
  return {
    schema,
    db,
    deps,
    useCases,
    q,
    // One envelope as the consumer's handler applies it (without the consumer's own dedupe).
    applyEnvelope(bytes: Uint8Array) {
      return withTransaction(db, (trx) =>
        applyOrderEvent(useCases.orderEvents.applyOrderSnapshot, trx, fromBinary(EventEnvelopeSchema, bytes)),
      );
    },
    // The stored figures of a sku next to a recomputation from its reviews.
    async figures(sku: string) {
      const [stored] = await q(
        `SELECT all_count::int, all_sum::int, all_1::int, all_2::int, all_3::int, all_4::int, all_5::int,
                verified_count::int, verified_sum::int, verified_1::int, verified_2::int, verified_3::int,
                verified_4::int, verified_5::int
         FROM rating_aggregates WHERE sku = $1`,
        [sku],
      );
      const [recomputed] = await q(
        `WITH p AS (SELECT rating, verified AND NOT purchase_returned AS v FROM reviews
                    WHERE sku = $1 AND status = 'published')
         SELECT count(*)::int AS all_count, coalesce(sum(rating), 0)::int AS all_sum,
                count(*) FILTER (WHERE rating = 1)::int AS all_1, count(*) FILTER (WHERE rating = 2)::int AS all_2,
                count(*) FILTER (WHERE rating = 3)::int AS all_3, count(*) FILTER (WHERE rating = 4)::int AS all_4,
                count(*) FILTER (WHERE rating = 5)::int AS all_5,
                count(*) FILTER (WHERE v)::int AS verified_count,
                coalesce(sum(rating) FILTER (WHERE v), 0)::int AS verified_sum,
                count(*) FILTER (WHERE v AND rating = 1)::int AS verified_1,
                count(*) FILTER (WHERE v AND rating = 2)::int AS verified_2,
                count(*) FILTER (WHERE v AND rating = 3)::int AS verified_3,
                count(*) FILTER (WHERE v AND rating = 4)::int AS verified_4,
                count(*) FILTER (WHERE v AND rating = 5)::int AS verified_5
         FROM p`,
        [sku],
      );
      const zero = Object.fromEntries(Object.keys(recomputed ?? {}).map((k) => [k, 0]));
      return { stored: stored ?? zero, recomputed };
    },
    cleanup: () => schema.drop(),
  };
}

export type ReviewFixture = Awaited<ReturnType<typeof createReviewFixture>>;
