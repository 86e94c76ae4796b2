// VerifyPurchase (for the review service): the customer's order lines of the sku that were delivered
// and not fully returned prove the purchase; lines delivered and then fully returned are listed but
// prove nothing. Read-only.
import { findDeliveredLines, type PurchasedLineRow } from "../data/movement.repo.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface PurchaseProof {
  verified: boolean;
  lines: PurchasedLineRow[];
}

export function verifyPurchaseUseCase(deps: UseCaseDeps) {
  return async function verifyPurchase(query: { customerId: string; sku: string }): Promise<PurchaseProof> {
    const lines = await findDeliveredLines(deps.db, query.customerId, query.sku);
    return { verified: lines.some((l) => l.delivered > l.returned), lines };
  };
}
