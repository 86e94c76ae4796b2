// What a review's "verified" rests on. The local projection of the order service's delivery and return
// events is asked first; only when it has no proof, and only if configured, the order service's
// VerifyPurchase (outside any transaction, behind its breaker). Any failure of that call is "no proof":
// verification fails closed (REV-P0-01), it never turns an error into "verified".
import type { Transaction } from "kysely";
import type { ReviewDatabase } from "../data/database.ts";
import { findUnreviewedProofs } from "../data/purchase.repo.ts";
import { findLiveReviewOf } from "../data/review.repo.ts";
import { provesPurchase } from "../domain/purchase.ts";
import type { PurchaseProof } from "../domain/review.ts";
import type { OrderPurchaseLine } from "./order-purchases.port.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface ProofQuery {
  customerId: string;
  sku: string;
  orderId?: string | undefined;
}

// The order service's delivered lines for the query, when the projection has none and a client is
// configured; [] on any error (the caller then finds no proof).
export async function orderServiceLines(
  deps: Pick<UseCaseDeps, "db" | "orderPurchases">,
  query: ProofQuery,
  onError?: (err: unknown) => void,
): Promise<OrderPurchaseLine[]> {
  if (!deps.orderPurchases) return [];
  if ((await findUnreviewedProofs(deps.db, query)).length > 0) return [];
  try {
    const lines = await deps.orderPurchases.deliveredLines(query.customerId, query.sku);
    return lines.filter(
      (line) =>
        line.sku === query.sku &&
        provesPurchase(line) &&
        (query.orderId === undefined || line.orderId === query.orderId),
    );
  } catch (err) {
    onError?.(err);
    return [];
  }
}

// Inside the writing transaction (the customer locked): the first delivered, not fully returned, not yet
// reviewed line from the projection, else from the order service's answer; undefined: no proof.
export async function findProof(
  trx: Transaction<ReviewDatabase>,
  query: ProofQuery,
  fromOrderService: readonly OrderPurchaseLine[],
): Promise<PurchaseProof | undefined> {
  const [line] = await findUnreviewedProofs(trx, query);
  if (line) {
    return {
      orderId: line.orderId,
      lineNumber: line.lineNumber,
      deliveredAt: line.deliveredAt,
      source: "projection",
    };
  }
  for (const candidate of fromOrderService) {
    const reviewed = await findLiveReviewOf(trx, query.customerId, {
      orderId: candidate.orderId,
      lineNumber: candidate.lineNumber,
    });
    if (!reviewed) {
      return {
        orderId: candidate.orderId,
        lineNumber: candidate.lineNumber,
        deliveredAt: candidate.deliveredAt,
        source: "order_service",
      };
    }
  }
  return undefined;
}
