// MarkPaymentReceived (ops): a bank transfer or cash on delivery payment arrived. Recorded on the order's
// own payment (the manual provider keeps no state); the checkout is made due, and its authorize step
// sees the money and goes on to confirm the stock. After the method's hold lapsed it is refused.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { setOrderPaymentStatus } from "../data/order.repo.ts";
import { findPaymentOfOrder, movePayment } from "../data/payment.repo.ts";
import { makeSagaDue } from "../data/saga.repo.ts";
import type { Money } from "../domain/money.ts";
import { loadOrder, orderNotFound } from "./get-order.ts";
import type { OrderAggregate } from "./order-message.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface MarkPaymentReceivedCommand {
  idempotencyKey: string;
  orderId: string;
  amount: Money;
  paymentReference: string;
}

export function markPaymentReceivedUseCase(deps: UseCaseDeps, onDue?: () => void) {
  return async function markPaymentReceived(
    command: MarkPaymentReceivedCommand,
    ctx: RequestContext,
  ): Promise<OrderAggregate> {
    const { idempotencyKey, ...request } = command;
    await deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: ctx.principal,
          operation: "mark-payment-received",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const payment = await findPaymentOfOrder(trx, command.orderId, true);
          if (payment?.provider !== "manual") {
            throw notFound(
              ErrorReason.PAYMENT_NOT_FOUND,
              `order ${command.orderId} has no manual payment waiting`,
              {
                order_id: command.orderId,
              },
            );
          }
          if (payment.status !== "pending") {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `the payment is ${payment.status}, not pending`,
              {
                status: payment.status,
              },
            );
          }
          if (payment.payBy && deps.clock() >= payment.payBy) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `the payment was due by ${payment.payBy.toISOString()}; the order is being cancelled`,
            );
          }
          if (
            command.amount.currency !== payment.currency ||
            command.amount.amountMinor !== payment.amountMinor
          ) {
            throw failedPrecondition(
              command.amount.currency !== payment.currency
                ? ErrorReason.CURRENCY_MISMATCH
                : ErrorReason.VALIDATION_FAILED,
              `amount must equal the order's total ${payment.amountMinor} ${payment.currency}`,
              { field: "amount" },
            );
          }
          await movePayment(trx, payment.paymentId, ["pending"], {
            status: "captured",
            authorizedMinor: payment.amountMinor,
            capturedMinor: payment.amountMinor,
            receivedReference: command.paymentReference,
          });
          await setOrderPaymentStatus(trx, command.orderId, "captured");
          await makeSagaDue(trx, command.orderId, deps.clock());
          return { orderId: command.orderId };
        },
      ),
    );
    onDue?.();
    const found = await loadOrder(deps, command.orderId);
    if (!found) throw orderNotFound(command.orderId);
    return found;
  };
}
