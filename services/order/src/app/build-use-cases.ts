// Every order use case, built once from the same deps: main.ts serves these and the tests call these,
// so what is tested is what runs. Grouped by caller: OrderService, the saga worker.
import type { Logger } from "@stockroom/logging";
import { abandonIdleCartsUseCase } from "./abandon-idle-carts.ts";
import { acceptPartialQuantitiesUseCase } from "./accept-partial-quantities.ts";
import { addCartLineUseCase } from "./add-cart-line.ts";
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
import { setPaymentMethodUseCase, setShippingDestinationUseCase } from "./set-cart-checkout-details.ts";
import { startCheckoutUseCase } from "./start-checkout.ts";
import {
  abandonCheckoutUseCase,
  listOrdersNeedingAttentionUseCase,
  retryCheckoutUseCase,
} from "./stuck-checkouts.ts";
import { removeCartLineUseCase, updateCartLineUseCase } from "./update-cart-line.ts";
import type { OrderSettings, UseCaseDeps } from "./use-case-deps.ts";

export interface BuildOptions {
  logger?: Logger;
  // Called when a checkout became due (started, or a webhook arrived): main.ts wakes the saga worker.
  onCheckoutDue?: () => void;
}

export function buildUseCases(deps: UseCaseDeps, settings: OrderSettings, options: BuildOptions = {}) {
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
    },
    admin: {
      markPaymentReceived: markPaymentReceivedUseCase(deps, options.onCheckoutDue),
      refundOrder: refundOrderUseCase(deps),
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
    },
  };
}

export type UseCases = ReturnType<typeof buildUseCases>;
export type OrderUseCases = UseCases["order"];
export type OrderAdminUseCases = UseCases["admin"];
