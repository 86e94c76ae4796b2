// What every use case is built with (wired by hand in main.ts and in the tests).

import { type TransactionalDeps, transactionalDeps } from "@stockroom/db";
import { internal } from "@stockroom/errors";
import type { EventContext } from "@stockroom/outbox";
import type { Kysely } from "kysely";
import type { OrderDatabase } from "../data/database.ts";
import type { AfterCheckoutPolicy } from "../domain/after-checkout-policy.ts";
import type { RetryPolicy } from "../domain/checkout-saga.ts";
import type { CaptureTiming, PaymentHoldPolicy } from "../domain/payment-hold.ts";
import type { PaymentMethodType } from "../domain/payment-status.ts";
import type { CatalogPort } from "./catalog.port.ts";
import type { OrderMetrics } from "./order-metrics.port.ts";
import type { PaymentProvider } from "./payment-provider.port.ts";
import type { WarehousePort } from "./warehouse.port.ts";

export interface UseCaseDeps extends TransactionalDeps<OrderDatabase> {
  catalog: CatalogPort;
  warehouse: WarehousePort;
  // The provider serving each payment method.
  paymentProviderFor: (method: PaymentMethodType) => PaymentProvider;
  paymentProviders: readonly PaymentProvider[];
  metrics?: OrderMetrics | undefined;
}

export interface OrderSettings {
  defaultCurrency: string;
  stockHoldMode: "at_checkout" | "from_add_to_cart";
  paymentHold: PaymentHoldPolicy;
  captureTiming: Record<PaymentMethodType, CaptureTiming>;
  retryPolicy: RetryPolicy;
  // How long a claimed saga step is leased to the worker that claimed it before another may take it.
  stepLeaseMs: number;
  // Shorts, refund and call retries after checkout; unset: DEFAULT_AFTER_CHECKOUT_POLICY.
  afterCheckout?: AfterCheckoutPolicy;
  // How long StartCheckout waits for the stock answer (a shortfall is then its error); absent or 0: it
  // answers at once with the pending order.
  checkoutStockAnswerWaitMs?: number;
  // from_add_to_cart: carts idle this long are abandoned and their holds released (default 1 h), and a
  // cart command's hold intent this old is taken for lost (default 60 s).
  cartAbandonAfterMs?: number;
  cartHoldIntentTimeoutMs?: number;
}

export function createUseCaseDeps(
  db: Kysely<OrderDatabase>,
  ports: {
    catalog: CatalogPort;
    warehouse: WarehousePort;
    paymentProviders: readonly PaymentProvider[];
    clock?: () => Date;
    metrics?: OrderMetrics;
  },
): UseCaseDeps {
  return {
    ...transactionalDeps(db, ports.clock),
    catalog: ports.catalog,
    warehouse: ports.warehouse,
    paymentProviders: ports.paymentProviders,
    paymentProviderFor: (method) => {
      const provider = ports.paymentProviders.find((p) => p.supports(method));
      if (!provider) throw internal(`no payment provider supports ${method}`);
      return provider;
    },
    metrics: ports.metrics,
  };
}

// Who asks (scopes idempotency keys) and the ids the events carry.
export interface RequestContext extends EventContext {
  principal: string;
  actor: string;
}
