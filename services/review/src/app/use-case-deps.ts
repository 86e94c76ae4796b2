// What every review use case is built with (wired by hand in main.ts, and by the tests).
import { type TransactionalDeps, transactionalDeps } from "@stockroom/db";
import type { EventContext } from "@stockroom/outbox";
import type { Kysely } from "kysely";
import { v7 as uuidv7 } from "uuid";
import type { ReviewDatabase } from "../data/database.ts";
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from "../domain/review-policy.ts";
import type { OrderPurchasesPort } from "./order-purchases.port.ts";

export interface UseCaseDeps extends TransactionalDeps<ReviewDatabase> {
  policy: ReviewPolicy;
  // The order service's VerifyPurchase, when configured; undefined: the local projection only.
  orderPurchases?: OrderPurchasesPort | undefined;
  // review.review.v1, from @stockroom/messaging (main.ts passes it in: app/ does not import Kafka).
  topic: string;
  newId: () => string;
}

export function createUseCaseDeps(
  db: Kysely<ReviewDatabase>,
  options: {
    topic: string;
    policy?: ReviewPolicy;
    orderPurchases?: OrderPurchasesPort | undefined;
    clock?: () => Date;
    newId?: () => string;
  },
): UseCaseDeps {
  return {
    ...transactionalDeps(db, options.clock),
    policy: options.policy ?? DEFAULT_REVIEW_POLICY,
    orderPurchases: options.orderPurchases,
    topic: options.topic,
    newId: options.newId ?? uuidv7,
  };
}

// Who asks (the token subject: the author of a storefront call, the moderator of an ops call), whose
// idempotency keys these are, and the ids the events carry.
export interface RequestContext extends EventContext {
  actor: string;
  principal: string;
}
