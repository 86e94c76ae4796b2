// Every order use case, built once from the same deps: main.ts serves these and the tests call these,
// so what is tested is what runs. Grouped by caller: OrderService, the saga worker.
import type { Logger } from "@stockroom/logging";
import { DEFAULT_AFTER_CHECKOUT_POLICY } from "../domain/after-checkout-policy.ts";
import { abandonIdleCartsUseCase } from "./abandon-idle-carts.ts";
import { acceptPartialQuantitiesUseCase } from "./accept-partial-quantities.ts";
import { addCartLineUseCase } from "./add-cart-line.ts";
import { applyFulfillmentFactUseCase } from "./apply-fulfillment-fact.ts";
import { applyReturnFactUseCase } from "./apply-return-fact.ts";
import { cancelOrderUseCase } from "./cancel-order.ts";
import {
  countCheckoutsNeedingAttentionUseCase,
  oldestUnfinishedCheckoutAgeUseCase,
} from "./checkout-health.ts";
import { createCartUseCase } from "./create-cart.ts";
import { driveCheckoutsUseCase } from "./drive-checkouts.ts";
import { getCartUseCase } from "./get-cart.ts";
import { getOrderUseCase, listOrdersUseCase } from "./get-order.ts";
import { markPaymentReceivedUseCase } from "./mark-payment-received.ts";
import { recordPaymentWebhookUseCase } from "./record-payment-webhook.ts";
import { refundOrderUseCase } from "./refund-order.ts";
import { retryDueRefundsUseCase } from "./retry-refunds.ts";
import { runOrderCallsUseCase } from "./run-order-calls.ts";
import { setPaymentMethodUseCase, setShippingDestinationUseCase } from "./set-cart-checkout-details.ts";
import { startCheckoutUseCase } from "./start-checkout.ts";
import {
  abandonCheckoutUseCase,
  listOrdersNeedingAttentionUseCase,
  retryCheckoutUseCase,
} from "./stuck-checkouts.ts";
import { removeCartLineUseCase, updateCartLineUseCase } from "./update-cart-line.ts";
import type { OrderSettings, UseCaseDeps } from "./use-case-deps.ts";
import { verifyPurchaseUseCase } from "./verify-purchase.ts";

export interface BuildOptions {
  logger?: Logger;
  // Called when a checkout became due (started, or a webhook arrived): main.ts wakes the saga worker.
  onCheckoutDue?: () => void;
}

export function buildUseCases(deps: UseCaseDeps, settings: OrderSettings, options: BuildOptions = {}) {
  const afterCheckout = settings.afterCheckout ?? DEFAULT_AFTER_CHECKOUT_POLICY;
  return {
    order: {
      createCart: createCartUseCase(deps, settings),
      getCart: getCartUseCase(deps),
      addCartLine: addCartLineUseCase(deps, settings),
      updateCartLine: updateCartLineUseCase(deps, settings),
      removeCartLine: removeCartLineUseCase(deps, settings),
      setShippingDestination: setShippingDestinationUseCase(deps),
      setPaymentMethod: setPaymentMethodUseCase(deps),
      acceptPartialQuantities: acceptPartialQuantitiesUseCase(deps, settings),
      startCheckout: startCheckoutUseCase(deps, settings, options.onCheckoutDue),
      getOrder: getOrderUseCase(deps),
      listOrders: listOrdersUseCase(deps),
      cancelOrder: cancelOrderUseCase(deps, options.onCheckoutDue),
      verifyPurchase: verifyPurchaseUseCase(deps),
    },
    admin: {
      markPaymentReceived: markPaymentReceivedUseCase(deps, options.onCheckoutDue),
      refundOrder: refundOrderUseCase(deps, afterCheckout),
      listOrdersNeedingAttention: listOrdersNeedingAttentionUseCase(deps),
      retryCheckout: retryCheckoutUseCase(deps, options.onCheckoutDue),
      abandonCheckout: abandonCheckoutUseCase(deps, options.onCheckoutDue),
    },
    saga: {
      driveDueCheckouts: driveCheckoutsUseCase(deps, settings, options.logger),
      oldestUnfinishedAgeSeconds: oldestUnfinishedCheckoutAgeUseCase(deps),
      countNeedingAttention: countCheckoutsNeedingAttentionUseCase(deps),
    },
    carts: {
      abandonIdleCarts: abandonIdleCartsUseCase(deps, settings, options.logger),
    },
    payments: {
      recordWebhook: recordPaymentWebhookUseCase(deps, options.onCheckoutDue),
      runDueOrderCalls: runOrderCallsUseCase(deps, afterCheckout),
      retryDueRefunds: retryDueRefundsUseCase(deps, afterCheckout),
    },
    // The fulfillment service's facts, applied inside the consumers' transactions.
    fulfillment: {
      applyFulfillmentFact: applyFulfillmentFactUseCase(deps),
      applyReturnFact: applyReturnFactUseCase(),
    },
  };
}

export type UseCases = ReturnType<typeof buildUseCases>;
export type OrderUseCases = UseCases["order"];
export type OrderAdminUseCases = UseCases["admin"];
