// Inside a fact's transaction: records what the payment and the stock now owe, as rows a worker acts on
// after commit under deterministic keys (never a remote call here: the transaction may rerun).
// - units shipped: a capture (once per payment on a provider that captures once, per shipment otherwise);
// - units dropped (short, cancelled after a partial shipment): a refund of their value when the money is
//   or will be captured, a void when nothing of the order will ship;
// - nothing of the order left committed and wanted: the reservation's leftover commitment released.
import type { Transaction } from "kysely";
import { v7 as uuidv7 } from "uuid";
import type { OrderDatabase } from "../data/database.ts";
import type { OrderLineRecord, OrderRecord } from "../data/order.repo.ts";
import type { PaymentRecord } from "../data/payment.repo.ts";
import { insertRefund } from "../data/refund.repo.ts";
import { hasRemoteCall, recordRemoteCall } from "../data/remote-call.repo.ts";
import {
  captureOnShipment,
  type PricedLine,
  settleDroppedUnits,
  type UnitsOfLine,
  unitsValue,
} from "../domain/settlement-plan.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

type Trx = Transaction<OrderDatabase>;

export function pricedLines(lines: readonly OrderLineRecord[]): PricedLine[] {
  return lines.map((l) => ({
    lineNumber: l.lineNumber,
    unitPriceMinor: l.unitPriceMinor,
    ordered: l.ordered,
    allocated: l.allocated,
    shipped: l.shipped,
    delivered: l.delivered,
    short: l.short,
    returned: l.returned,
    cancelled: l.cancelled,
  }));
}

function paymentView(p: PaymentRecord) {
  return {
    status: p.status,
    authorizedMinor: p.authorizedMinor,
    capturedMinor: p.capturedMinor,
    refundedMinor: p.refundedMinor,
  };
}

// After units shipped (lines as they are now). True when a capture was recorded.
export async function recordCaptureForShipment(
  deps: Pick<UseCaseDeps, "paymentProviders">,
  trx: Trx,
  order: OrderRecord,
  payment: PaymentRecord | undefined,
  shipment: { sourceKey: string; units: readonly UnitsOfLine[] },
): Promise<boolean> {
  if (!payment?.providerPaymentId) return false;
  const provider = deps.paymentProviders.find((p) => p.name === payment.provider);
  if (!provider || provider.name === "manual") return false;
  const decision = captureOnShipment({
    payment: paymentView(payment),
    multipleCaptures: provider.multipleCaptures === true,
    lines: pricedLines(order.lines),
    extrasMinor: order.totalMinor - order.subtotalMinor,
    shipment,
    captureRecorded: await hasRemoteCall(trx, order.orderId, "capture"),
  });
  if (decision.kind === "none") return false;
  return recordRemoteCall(trx, {
    orderId: order.orderId,
    paymentId: payment.paymentId,
    kind: "capture",
    sourceKey: decision.sourceKey,
    amountMinor: decision.amountMinor,
    currency: payment.currency,
    idempotencyKey: `${payment.paymentId}:capture:${decision.sourceKey}`,
  });
}

// After units were dropped (lines as they are now): refund, void or nothing.
export async function recordDroppedUnits(
  trx: Trx,
  order: OrderRecord,
  payment: PaymentRecord | undefined,
  dropped: { sourceKey: string; units: readonly UnitsOfLine[]; reason: "shortfall" | "cancellation" },
): Promise<"refund" | "void" | "none"> {
  if (!payment) return "none";
  const lines = pricedLines(order.lines);
  const decision = settleDroppedUnits({
    payment: paymentView(payment),
    capturePending: await hasRemoteCall(trx, order.orderId, "capture", ["requested", "unknown"]),
    droppedValue: unitsValue(lines, dropped.units),
    lines,
  });
  if (decision.kind === "refund") {
    const refundId = uuidv7();
    await insertRefund(trx, {
      refundId,
      paymentId: payment.paymentId,
      orderId: order.orderId,
      currency: payment.currency,
      amountMinor: decision.amountMinor,
      reason: dropped.reason,
      note: "",
      idempotencyKey: `${payment.paymentId}:refund:${dropped.sourceKey}`,
      lines: dropped.units.map((u) => ({ lineNumber: u.lineNumber, quantity: u.quantity })),
      sourceKey: dropped.sourceKey,
    });
  }
  if (decision.kind === "void") {
    await recordRemoteCall(trx, {
      orderId: order.orderId,
      paymentId: payment.paymentId,
      kind: "void",
      sourceKey: "all",
      idempotencyKey: `${payment.paymentId}:void:all`,
    });
  }
  return decision.kind;
}

// Nothing of the order is committed and still wanted (every allocated unit shipped): what the warehouse
// still holds committed for it (short lines) is released, once.
export async function recordLeftoverRelease(trx: Trx, order: OrderRecord, checkoutId: string): Promise<void> {
  const settled = order.lines.every(
    (l) => l.allocated === l.shipped && l.ordered - l.shipped - l.short - l.cancelled === 0,
  );
  const dropped = order.lines.some((l) => l.short > 0);
  if (!settled || !dropped) return;
  await recordRemoteCall(trx, {
    orderId: order.orderId,
    paymentId: null,
    kind: "release_stock",
    sourceKey: "leftover",
    idempotencyKey: `${checkoutId}:release-leftover`,
  });
}
