// StartCheckout: in one transaction, the cart moves to checking_out, the order row is written as
// `pending` (UNIQUE checkout id) and its saga row is due now; the saga worker does the rest. Answers
// with the order id and status once the stock answer is in (or the wait for it lapsed): short stock is
// FAILED_PRECONDITION with what is available per line (checkout-stock-answer.ts). A retry with the same
// key answers the same order (or the same shortfall).
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { v7 as uuidv7 } from "uuid";
import { moveCartStatus } from "../data/cart.repo.ts";
import { findOrder, insertPendingOrder } from "../data/order.repo.ts";
import { findSagaByOrder, insertSaga } from "../data/saga.repo.ts";
import { assertReadyForCheckout, cartStatusAfter } from "../domain/cart-rules.ts";
import type { CheckoutStatus } from "../domain/checkout-saga.ts";
import type { OrderStatus } from "../domain/order-status.ts";
import { lockCart } from "./cart-change.ts";
import { handOverCartHold } from "./cart-hold-handover.ts";
import { awaitStockAnswer } from "./checkout-stock-answer.ts";
import type { OrderSettings, RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface StartCheckoutCommand {
  idempotencyKey: string;
  cartId: string;
  expectedCartVersion: number;
}

export interface CheckoutStarted {
  orderId: string;
  status: OrderStatus;
  checkoutStatus: CheckoutStatus;
}

export function startCheckoutUseCase(deps: UseCaseDeps, settings: OrderSettings, onStarted?: () => void) {
  const stockAnswer = awaitStockAnswer(deps, settings.checkoutStockAnswerWaitMs ?? 0);
  return async function startCheckout(
    command: StartCheckoutCommand,
    ctx: RequestContext,
  ): Promise<CheckoutStarted> {
    const { idempotencyKey, ...request } = command;
    const { orderId } = await deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: ctx.principal,
          operation: "start-checkout",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const cart = await lockCart(trx, command.cartId, command.expectedCartVersion);
          cartStatusAfter(cart.status, "start_checkout");
          assertReadyForCheckout({
            cartId: cart.cartId,
            lines: cart.lines,
            hasShippingDestination: cart.shippingDestination !== null,
            hasPaymentMethod: cart.paymentMethod !== null,
          });
          const orderId = uuidv7();
          const checkoutId = uuidv7();
          await insertPendingOrder(trx, {
            orderId,
            checkoutId,
            cartId: cart.cartId,
            customerId: cart.customerId,
            currency: cart.currency,
            shippingDestination: cart.shippingDestination ?? {},
            paymentMethod: cart.paymentMethod ?? "card",
          });
          await insertSaga(trx, { checkoutId, orderId, cartId: cart.cartId, nextAttemptAt: deps.clock() });
          if (cart.stockHoldMode === "from_add_to_cart") await handOverCartHold(trx, cart, checkoutId);
          await moveCartStatus(trx, cart.cartId, "open", "checking_out", orderId);
          deps.metrics?.checkoutStarted();
          return { orderId };
        },
      ),
    );
    onStarted?.();
    await stockAnswer(orderId);
    const [order, saga] = await Promise.all([findOrder(deps.db, orderId), findSagaByOrder(deps.db, orderId)]);
    return {
      orderId,
      status: order?.status ?? "pending",
      checkoutStatus: saga?.status ?? "running",
    };
  };
}
