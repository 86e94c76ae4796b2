// The checkout saga's steps: what each one asks another service, and the outcome it comes to. A step
// never runs inside a database transaction; the intent it needs first (the payment row before the
// provider is asked) is written in a short transaction of its own. Every remote call carries the key
// `<checkout id>:<step>`, so a rerun after a crash gets the first answer back.
import { isAppError } from "@stockroom/errors";
import { v7 as uuidv7 } from "uuid";
import { findCart } from "../data/cart.repo.ts";
import type { OrderRecord } from "../data/order.repo.ts";
import { ensurePayment, setProviderPaymentId } from "../data/payment.repo.ts";
import type { SagaRecord } from "../data/saga.repo.ts";
import { demandPerSku } from "../domain/cart-rules.ts";
import {
  AUTHORIZE_PAYMENT,
  type AuthorizePaymentOutput,
  CONFIRM_RESERVATION,
  type ConfirmReservationOutput,
  type PricedLine,
  RESERVE_STOCK,
  type ReserveStockOutput,
  reReserveKey,
  type ShortLine,
  type StepOutcome,
  stepKey,
  VALIDATE_CART,
  type ValidateCartOutput,
} from "../domain/checkout-saga.ts";
import { sum, times } from "../domain/money.ts";
import { holdMs, payBy } from "../domain/payment-hold.ts";
import { isManualMethod, type PaymentMethodType } from "../domain/payment-status.ts";
import { takeOverCartHold } from "./cart-hold-handover.ts";
import type { AuthorizeResult, ProviderPayment } from "./payment-provider.port.ts";
import type { OrderSettings, UseCaseDeps } from "./use-case-deps.ts";
import type { Shortage } from "./warehouse.port.ts";

// How long before asking the provider again about an outcome it did not give.
const UNKNOWN_OUTCOME_RECHECK_MS = 2_000;

export interface StepContext {
  deps: UseCaseDeps;
  settings: OrderSettings;
  saga: SagaRecord;
  order: OrderRecord;
  now: Date;
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function validateCartStep({ deps, saga, order }: StepContext): Promise<StepOutcome> {
  const cart = await findCart(deps.db, saga.cartId);
  if (!cart || cart.lines.length === 0) {
    return { kind: "refused", reason: "product_unavailable", message: "the cart has no lines" };
  }
  const method = (cart.paymentMethod ?? order.paymentMethod) as PaymentMethodType;
  if (!deps.paymentProviders.some((p) => p.supports(method))) {
    return {
      kind: "refused",
      reason: "payment_method_not_supported",
      message: `no provider takes ${method}`,
    };
  }
  const { products, missing } = await deps.catalog.fetchProducts([...new Set(cart.lines.map((l) => l.sku))]);
  const bySku = new Map(products.map((p) => [p.sku, p]));
  const unsellable = cart.lines.filter((l) => {
    const p = bySku.get(l.sku);
    if (p === undefined) return true;
    return p.status !== "active" || p.price.currency !== cart.currency;
  });
  if (unsellable.length > 0 || missing.length > 0) {
    return {
      kind: "refused",
      reason: "product_unavailable",
      message: `not for sale: ${[...new Set([...unsellable.map((l) => l.sku), ...missing])].join(", ")}`,
    };
  }
  const lines: PricedLine[] = cart.lines.map((l) => {
    const product = bySku.get(l.sku);
    if (!product) throw new Error(`unreachable: ${l.sku} priced`);
    return {
      lineNumber: l.lineNumber,
      sku: l.sku,
      productName: product.name,
      quantity: l.quantity,
      warehouseCode: l.warehouseCode,
      unitPrice: product.price,
    };
  });
  const total = sum(
    cart.currency,
    lines.map((l) => times(l.unitPrice, l.quantity)),
  );
  const output: ValidateCartOutput = {
    lines,
    total,
    paymentMethod: method,
    ...(cart.stockHoldMode === "from_add_to_cart" ? { heldFromCart: true } : {}),
  };
  return { kind: "done", output };
}

function validated(saga: SagaRecord): ValidateCartOutput {
  return saga.stepOutputs[VALIDATE_CART] as ValidateCartOutput;
}

// Warehouse shortages are per reserve line (one per sku and warehouse); the customer sees cart lines.
function shortLines(output: ValidateCartOutput, shortages: Shortage[]): ShortLine[] {
  const demand = demandPerSku(output.lines);
  return shortages.flatMap((s) =>
    (demand[s.lineNumber - 1]?.lineNumbers ?? []).map((lineNumber) => {
      const line = output.lines.find((l) => l.lineNumber === lineNumber);
      return {
        lineNumber,
        sku: s.sku,
        warehouseCode: line?.warehouseCode ?? s.warehouseCode,
        requested: line?.quantity ?? s.requested,
        available: s.available,
      };
    }),
  );
}

async function reserve(ctx: StepContext, idempotencyKey: string) {
  const output = validated(ctx.saga);
  const demand = demandPerSku(output.lines);
  return ctx.deps.warehouse.reserve({
    idempotencyKey,
    orderId: ctx.order.orderId,
    lines: demand.map((d) => ({ sku: d.sku, quantity: d.quantity, warehouseCode: d.warehouseCode })),
    paymentMethod: output.paymentMethod,
    ttlMs: holdMs(ctx.settings.paymentHold, output.paymentMethod),
  });
}

export async function reserveStockStep(ctx: StepContext): Promise<StepOutcome> {
  const checkout = validated(ctx.saga);
  if (checkout.heldFromCart) {
    const taken = await takeOverCartHold(ctx.deps, {
      checkoutId: ctx.saga.checkoutId,
      cartId: ctx.saga.cartId,
      extendKey: `${stepKey(ctx.saga.checkoutId, RESERVE_STOCK)}:take-over`,
      ttlMs: holdMs(ctx.settings.paymentHold, checkout.paymentMethod),
    });
    if (taken) {
      const output: ReserveStockOutput = {
        reservationId: taken.reservationId,
        expiresAt: taken.expiresAt.toISOString(),
      };
      return { kind: "done", output };
    }
  }
  const result = await reserve(ctx, stepKey(ctx.saga.checkoutId, RESERVE_STOCK));
  if (result.kind === "short") {
    const shortfall = shortLines(validated(ctx.saga), result.shortages);
    return {
      kind: "refused",
      reason: "insufficient_stock",
      message: `insufficient stock for ${shortfall.map((s) => s.sku).join(", ")}`,
      shortfall,
    };
  }
  const output: ReserveStockOutput = {
    reservationId: result.reservation.reservationId,
    expiresAt: (result.reservation.expiresAt ?? ctx.now).toISOString(),
  };
  return { kind: "done", output };
}

function fromProvider(payment: ProviderPayment | AuthorizeResult): AuthorizeResult["status"] | "not_found" {
  switch (payment.status) {
    case "voided":
      return "declined";
    default:
      return payment.status;
  }
}

export async function authorizePaymentStep(ctx: StepContext): Promise<StepOutcome> {
  const { deps, saga, order, now } = ctx;
  const output = validated(saga);
  const provider = deps.paymentProviderFor(output.paymentMethod);
  const key = stepKey(saga.checkoutId, AUTHORIZE_PAYMENT);
  // The intent first: the payment row exists before the provider hears of it.
  const payment = await deps.transaction((trx) =>
    ensurePayment(trx, {
      paymentId: uuidv7(),
      orderId: order.orderId,
      provider: provider.name,
      authorizeIdempotencyKey: key,
      method: output.paymentMethod,
      currency: output.total.currency,
      amountMinor: output.total.amountMinor,
      payBy: isManualMethod(output.paymentMethod)
        ? payBy(ctx.settings.paymentHold, output.paymentMethod, now)
        : null,
    }),
  );
  const asked = (saga.stepOutcomes[AUTHORIZE_PAYMENT] as { asked?: boolean } | undefined)?.asked === true;
  if (isManualMethod(output.paymentMethod)) {
    // Ops records the money's arrival (MarkPaymentReceived) in our own payments table.
    if (payment.status === "captured") {
      return {
        kind: "done",
        output: { provider: provider.name, providerPaymentId: payment.providerPaymentId, status: "captured" },
      };
    }
    if (payment.payBy && now >= payment.payBy) {
      return {
        kind: "refused",
        reason: "payment_declined",
        message: "the manual payment was not received in time",
      };
    }
    const pending = await provider.authorize({
      idempotencyKey: key,
      amount: output.total,
      method: { type: output.paymentMethod, token: "" },
      customerId: order.customerId,
      reference: order.orderId,
    });
    const providerPaymentId = pending.providerPaymentId;
    if (providerPaymentId && !payment.providerPaymentId) {
      await deps.transaction((trx) => setProviderPaymentId(trx, payment.paymentId, providerPaymentId));
    }
    return {
      kind: "wait",
      until:
        payment.payBy ?? new Date(now.getTime() + holdMs(ctx.settings.paymentHold, output.paymentMethod)),
      why: "payment_pending",
    };
  }
  // A rerun after an unknown outcome asks where the payment stands (same key), never authorizes anew.
  let status: AuthorizeResult["status"] | "not_found" = "not_found";
  let providerPaymentId: string | undefined;
  if (asked) {
    const found = await provider.retrieve({ authorizeIdempotencyKey: key });
    status = fromProvider(found);
    providerPaymentId = found.providerPaymentId;
  }
  let declineCode: string | undefined;
  if (status === "not_found") {
    const cart = await findCart(deps.db, saga.cartId);
    const result = await provider.authorize({
      idempotencyKey: key,
      amount: output.total,
      method: { type: output.paymentMethod, token: cart?.paymentToken ?? "" },
      customerId: order.customerId,
      reference: order.orderId,
      captureImmediately: ctx.settings.captureTiming[output.paymentMethod] === "immediately",
    });
    status = result.status;
    providerPaymentId = result.providerPaymentId;
    declineCode = result.declineCode;
  }
  deps.metrics?.paymentOutcome(provider.name, status);
  switch (status) {
    case "authorized":
    case "captured": {
      const done: AuthorizePaymentOutput = {
        provider: provider.name,
        providerPaymentId: providerPaymentId ?? null,
        status,
      };
      return { kind: "done", output: done };
    }
    case "declined":
      return {
        kind: "refused",
        reason: "payment_declined",
        message: `payment declined (${declineCode ?? "declined"})`,
      };
    default: {
      // Unknown or still processing: hold the stock longer and ask again (same key).
      const reservation = saga.stepOutputs[RESERVE_STOCK] as ReserveStockOutput;
      await deps.warehouse.extend({
        idempotencyKey: `${saga.checkoutId}:extend-${saga.totalAttempts}`,
        reservationId: reservation.reservationId,
        ttlMs: holdMs(ctx.settings.paymentHold, output.paymentMethod),
      });
      return {
        kind: "wait",
        until: new Date(now.getTime() + UNKNOWN_OUTCOME_RECHECK_MS),
        why: "payment_unknown",
      };
    }
  }
}

export interface ReReserved {
  // Set when the first reservation lapsed after the pivot and stock was reserved again.
  reservationId?: string;
}

export async function confirmReservationStep(ctx: StepContext): Promise<StepOutcome> {
  const { deps, saga, order } = ctx;
  let reservationId = (saga.stepOutputs[RESERVE_STOCK] as ReserveStockOutput).reservationId;
  if (saga.reserveAttempts > 0) {
    const again = saga.stepOutputs[`${RESERVE_STOCK}:again`] as { reservationId?: string } | undefined;
    if (again?.reservationId) {
      reservationId = again.reservationId;
    } else {
      const result = await reserve(ctx, reReserveKey(saga.checkoutId, saga.reserveAttempts));
      if (result.kind === "short") {
        return {
          kind: "refused",
          reason: "stock_lost",
          message: "the reservation lapsed after payment and the stock could not be reserved again",
          shortfall: shortLines(validated(saga), result.shortages),
        };
      }
      reservationId = result.reservation.reservationId;
      saga.stepOutputs[`${RESERVE_STOCK}:again`] = { reservationId };
    }
  }
  const key =
    saga.reserveAttempts > 0
      ? `${stepKey(saga.checkoutId, CONFIRM_RESERVATION)}:again-${saga.reserveAttempts}`
      : stepKey(saga.checkoutId, CONFIRM_RESERVATION);
  const result = await deps.warehouse.confirm({ idempotencyKey: key, reservationId, orderId: order.orderId });
  if (result.kind === "expired") return { kind: "reservation_expired" };
  const lines = validated(saga).lines;
  const demand = demandPerSku(lines);
  const output: ConfirmReservationOutput = {
    reservationId,
    allocations: result.allocations.flatMap((a) => {
      const lineNumber = demand[a.lineNumber - 1]?.lineNumbers[0];
      return lineNumber === undefined
        ? []
        : [{ lineNumber, warehouseCode: a.warehouseCode, lotCode: a.lotCode, quantity: a.quantity }];
    }),
  };
  return { kind: "done", output };
}

// A step's thrown error is a transient failure (retried with backoff under the same key); exhausted
// attempts are decided by the saga's rules.
export function retryOutcome(err: unknown): StepOutcome {
  return { kind: "retry", error: isAppError(err) ? `${err.kind}: ${err.message}` : describeError(err) };
}
