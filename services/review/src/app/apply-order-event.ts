// Applies the order service's delivery and return facts (decoded by the order-events consumer) to the
// verified-purchase projection, in the consumer's transaction. Each event carries the order as it is
// after the change, so a line takes the newest snapshot (older ones change nothing). When a line's
// every delivered unit came back, the reviews resting on it are marked returned and leave the verified
// figures: once, because only a review not yet marked is changed.
import type { Transaction } from "kysely";
import type { ReviewDatabase } from "../data/database.ts";
import { upsertLineIfNewer } from "../data/purchase.repo.ts";
import { lockUnreturnedReviewsOfLine, saveReviewChanges } from "../data/review.repo.ts";
import { isFullyReturned, type PurchasedLine } from "../domain/purchase.ts";
import { recordReviewChange } from "./record-review-change.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface OrderPurchaseSnapshot {
  eventId: string;
  orderId: string;
  customerId: string;
  // The order's aggregate version this snapshot is.
  orderVersion: number;
  lines: PurchasedLine[];
}

export interface OrderSnapshotOutcome {
  linesWritten: number;
  reviewsMarkedReturned: number;
}

export function applyOrderSnapshotUseCase(deps: Pick<UseCaseDeps, "clock" | "topic">) {
  return async function applyOrderSnapshot(
    trx: Transaction<ReviewDatabase>,
    snapshot: OrderPurchaseSnapshot,
  ): Promise<OrderSnapshotOutcome> {
    const outcome: OrderSnapshotOutcome = { linesWritten: 0, reviewsMarkedReturned: 0 };
    const context = {
      producer: "review",
      actor: "system:order-events",
      principal: "system:order-events",
      causationId: snapshot.eventId,
    };
    for (const line of snapshot.lines) {
      const written = await upsertLineIfNewer(trx, line, snapshot.orderVersion, deps.clock());
      if (!written) continue;
      outcome.linesWritten++;
      if (!isFullyReturned(written)) continue;
      for (const before of await lockUnreturnedReviewsOfLine(trx, written.orderId, written.lineNumber)) {
        const after = await saveReviewChanges(trx, before.reviewId, { purchaseReturned: true }, deps.clock());
        await recordReviewChange(trx, deps, { before, after }, context);
        outcome.reviewsMarkedReturned++;
      }
    }
    return outcome;
  };
}
