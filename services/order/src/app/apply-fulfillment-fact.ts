// Applies one fulfillment fact (from fulfillment.fulfillment.v1) to its order inside the consumer's
// transaction (processing log and version guard already ran): the lines' shipped, delivered and short
// quantities, the order's fulfillment status, the events, and what the payment and the stock now owe
// (record-settlement.ts; a worker makes those calls after commit), checked after every fact. Each (line, fact) moves once: a fact
// seen again under a new event id, or implied by a later one (delivered before shipped), changes nothing.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { appendToOutbox } from "@stockroom/outbox";
import type { Transaction } from "kysely";
import type { OrderDatabase } from "../data/database.ts";
import {
  lockOrder,
  type MovementKind,
  movementExists,
  recordMovement,
  setOrderFulfillment,
  writeLineQuantities,
} from "../data/movement.repo.ts";
import { findOrder, moveOrderStatus, type OrderLineRecord, type OrderRecord } from "../data/order.repo.ts";
import { findPaymentOfOrder } from "../data/payment.repo.ts";
import {
  deliver,
  type LineQuantities,
  lineFulfillmentStatus,
  lineResolved,
  markShort,
  openUnits,
  orderFulfillmentStatus,
  ship,
} from "../domain/line-fulfillment.ts";
import { loadOrder } from "./get-order.ts";
import { type EventLine, orderDelivered, orderLinesShort } from "./order-life-events.ts";
import { recordCaptureForShipment, recordDroppedUnits, recordLeftoverRelease } from "./record-settlement.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface FactLine {
  lineNumber: number;
  sku: string;
  quantity: number;
}

export type FulfillmentFact =
  | {
      kind: "shipped";
      orderId: string;
      fulfillmentId: string;
      shipmentId: string;
      warehouseCode: string;
      lines: FactLine[];
      at: Date;
    }
  | {
      kind: "delivered";
      orderId: string;
      fulfillmentId: string;
      shipmentId: string;
      lines: FactLine[];
      at: Date;
    }
  | {
      kind: "short";
      orderId: string;
      fulfillmentId: string;
      eventId: string;
      warehouseCode: string;
      lines: FactLine[];
      at: Date;
    };

type Trx = Transaction<OrderDatabase>;

export function unknownOrder(orderId: string) {
  return failedPrecondition(
    ErrorReason.ORDER_NOT_FOUND,
    `event names order ${orderId}, which does not exist`,
  );
}

function lineOf(order: OrderRecord, fact: FactLine): OrderLineRecord {
  const line = order.lines.find((l) => l.lineNumber === fact.lineNumber);
  if (!line || line.sku !== fact.sku) {
    throw failedPrecondition(
      ErrorReason.INVARIANT_VIOLATION,
      `order ${order.orderId} has no line ${fact.lineNumber} of sku ${fact.sku}`,
    );
  }
  return line;
}

function withQuantities(line: OrderLineRecord, q: LineQuantities): OrderLineRecord {
  return { ...line, ...q, fulfillmentStatus: lineFulfillmentStatus(q) };
}

// A shipment's units on a line. Units the order had cancelled meanwhile (a cancel racing the shipment:
// the warehouse shipped them before the cancel reached it) are taken back from cancelled first.
function shipUnits(line: OrderLineRecord, units: number): { q: LineQuantities; uncancelled: number } {
  let q: LineQuantities = line;
  const room = q.allocated - q.shipped;
  const uncancelled = Math.min(q.cancelled, Math.max(0, units - room));
  if (uncancelled > 0)
    q = { ...q, cancelled: q.cancelled - uncancelled, allocated: q.allocated + uncancelled };
  return { q: ship(q, units), uncancelled };
}

export function applyFulfillmentFactUseCase(deps: UseCaseDeps) {
  async function move(
    trx: Trx,
    order: OrderRecord,
    line: FactLine,
    kind: MovementKind,
    sourceKey: string,
    at: Date,
    warehouseCode: string | null = null,
  ): Promise<boolean> {
    return recordMovement(trx, {
      orderId: order.orderId,
      lineNumber: line.lineNumber,
      kind,
      sourceKey,
      quantity: line.quantity,
      warehouseCode,
      occurredAt: at,
    });
  }

  async function writeLines(trx: Trx, order: OrderRecord, lines: OrderLineRecord[]): Promise<OrderRecord> {
    for (const l of lines)
      await writeLineQuantities(trx, order.orderId, l.lineNumber, l, l.fulfillmentStatus);
    const merged = order.lines.map((l) => lines.find((c) => c.lineNumber === l.lineNumber) ?? l);
    return { ...order, lines: merged };
  }

  // The order's status and fulfillment status after its lines moved: completed once every line is
  // resolved and something was delivered.
  async function finish(trx: Trx, order: OrderRecord): Promise<void> {
    await recordLeftoverRelease(trx, order, order.checkoutId);
    const done = order.lines.every(lineResolved) && order.lines.some((l) => l.delivered > 0);
    await setOrderFulfillment(trx, order.orderId, {
      fulfillmentStatus: orderFulfillmentStatus(order.lines),
      ...(done && order.status === "confirmed" ? { status: "completed" } : {}),
    });
  }

  async function applyShipment(
    trx: Trx,
    order: OrderRecord,
    fact: { fulfillmentId: string; shipmentId: string; lines: FactLine[]; at: Date },
    warehouseCode: string | null,
  ): Promise<{ order: OrderRecord; shipped: FactLine[] }> {
    const sourceKey = `${fact.fulfillmentId}:${fact.shipmentId}`;
    const changed: OrderLineRecord[] = [];
    const shipped: FactLine[] = [];
    for (const f of fact.lines) {
      const line = changed.find((c) => c.lineNumber === f.lineNumber) ?? lineOf(order, f);
      if (!(await move(trx, order, f, "shipped", sourceKey, fact.at, warehouseCode))) continue;
      const { q, uncancelled } = shipUnits(line, f.quantity);
      if (uncancelled > 0)
        await move(
          trx,
          order,
          { ...f, quantity: uncancelled },
          "uncancelled",
          sourceKey,
          fact.at,
          warehouseCode,
        );
      changed.push(withQuantities(line, q));
      shipped.push(f);
    }
    return { order: await writeLines(trx, order, changed), shipped };
  }

  async function shipped(trx: Trx, fact: Extract<FulfillmentFact, { kind: "shipped" }>) {
    const order = await findOrder(trx, fact.orderId);
    if (!order) throw unknownOrder(fact.orderId);
    const applied = await applyShipment(trx, order, fact, fact.warehouseCode);
    if (applied.shipped.length === 0) return;
    await recordCaptureForShipment(
      deps,
      trx,
      applied.order,
      await findPaymentOfOrder(trx, order.orderId, true),
      {
        sourceKey: `${fact.fulfillmentId}:${fact.shipmentId}`,
        units: applied.shipped,
      },
    );
    await finish(trx, applied.order);
  }

  async function delivered(trx: Trx, fact: Extract<FulfillmentFact, { kind: "delivered" }>) {
    const found = await findOrder(trx, fact.orderId);
    if (!found) throw unknownOrder(fact.orderId);
    const sourceKey = `${fact.fulfillmentId}:${fact.shipmentId}`;
    // Delivered before its shipment was seen: the delivery says the units shipped; the shipped event,
    // when it comes, finds its movement recorded and changes nothing.
    const unshipped: FactLine[] = [];
    for (const f of fact.lines) {
      if (!(await movementExists(trx, found.orderId, f.lineNumber, "shipped", sourceKey))) unshipped.push(f);
    }
    let order = found;
    if (unshipped.length > 0) {
      const applied = await applyShipment(trx, order, { ...fact, lines: unshipped }, null);
      order = applied.order;
      if (applied.shipped.length > 0) {
        await recordCaptureForShipment(deps, trx, order, await findPaymentOfOrder(trx, order.orderId, true), {
          sourceKey,
          units: applied.shipped,
        });
      }
    }
    const changed: OrderLineRecord[] = [];
    const lines: EventLine[] = [];
    for (const f of fact.lines) {
      const line = changed.find((c) => c.lineNumber === f.lineNumber) ?? lineOf(order, f);
      if (!(await move(trx, order, f, "delivered", sourceKey, fact.at))) continue;
      changed.push(withQuantities(line, deliver(line, f.quantity)));
      lines.push(f);
    }
    if (lines.length === 0) return;
    order = await writeLines(trx, order, changed);
    await finish(trx, order);
    const aggregate = await loadOrder({ db: trx }, order.orderId);
    if (aggregate) {
      const fully = aggregate.order.lines.every(lineResolved);
      await appendToOutbox(trx, { producer: "order" }, [orderDelivered(aggregate, lines, fully, fact.at)]);
    }
  }

  async function short(trx: Trx, fact: Extract<FulfillmentFact, { kind: "short" }>) {
    const found = await findOrder(trx, fact.orderId);
    if (!found) throw unknownOrder(fact.orderId);
    const sourceKey = `short:${fact.eventId}`;
    const changed: OrderLineRecord[] = [];
    const lines: EventLine[] = [];
    for (const f of fact.lines) {
      const line = changed.find((c) => c.lineNumber === f.lineNumber) ?? lineOf(found, f);
      // Units already cancelled (or shipped) cannot go short; only what is still open.
      const units = Math.min(f.quantity, line.ordered - line.shipped - line.short - line.cancelled);
      if (units <= 0) continue;
      const unitsLine = { ...f, quantity: units };
      if (!(await move(trx, found, unitsLine, "short", sourceKey, fact.at, fact.warehouseCode))) continue;
      changed.push(withQuantities(line, markShort(line, units).quantities));
      lines.push({ ...unitsLine, warehouseCode: fact.warehouseCode });
    }
    if (lines.length === 0) return;
    const order = await writeLines(trx, found, changed);
    const payment = await findPaymentOfOrder(trx, order.orderId, true);
    // The default policy (refund): the short units' money is refunded, or never captured.
    await recordDroppedUnits(trx, order, payment, { sourceKey, units: lines, reason: "shortfall" });
    // Every unit went short and nothing shipped: the order ends, cancelled by the system (its
    // authorization is voided by the call recorded above).
    const nothingLeft = order.lines.every((l) => openUnits(l) === 0 && l.shipped === 0);
    if (nothingLeft && order.status === "confirmed") {
      await moveOrderStatus(trx, order.orderId, ["confirmed"], {
        status: "cancelled",
        cancelledAt: fact.at,
        cancelledBy: "system",
        cancelReason: "every unit went short in fulfillment",
      });
    }
    await finish(trx, order);
    const aggregate = await loadOrder({ db: trx }, order.orderId);
    if (aggregate)
      await appendToOutbox(trx, { producer: "order" }, [
        orderLinesShort(aggregate, lines, nothingLeft, fact.at),
      ]);
  }

  return async function applyFulfillmentFact(trx: Trx, fact: FulfillmentFact): Promise<void> {
    if (!(await lockOrder(trx, fact.orderId))) throw unknownOrder(fact.orderId);
    if (fact.kind === "shipped") return shipped(trx, fact);
    if (fact.kind === "delivered") return delivered(trx, fact);
    return short(trx, fact);
  };
}
