// The refund worker's use case: claims due refunds (recorded by RefundOrder, returns, short lines and
// cancellations; left requested, unknown or failed by an attempt) and sends each again under its own
// key, so the provider refunds at most once however many attempts it takes (refund-payment.ts).
import { claimDueRefunds } from "../data/refund.repo.ts";
import type { AfterCheckoutPolicy } from "../domain/after-checkout-policy.ts";
import { refundPaymentUseCase } from "./refund-payment.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export function retryDueRefundsUseCase(deps: UseCaseDeps, policy: AfterCheckoutPolicy) {
  const refundPayment = refundPaymentUseCase(deps, policy);
  return async function retryDueRefunds(limit: number): Promise<number> {
    const claimed = await claimDueRefunds(deps.db, deps.clock(), policy.leaseMs, limit);
    for (const refund of claimed) await refundPayment(refund.refundId);
    return claimed.length;
  };
}
