// OrderConfirmed and OrderCancelled from a real Kafka topic into fulfillment orders, checked against a
// real warehouse process (FULF-P0-03): a confirmed reservation opens the fulfillment and FulfillmentCreated
// goes to the outbox; a reservation no longer confirmed makes it short (FulfillmentShort), never
// pickable; a redelivered event creates nothing twice; a cancel before shipment cancels the fulfillment.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { create, fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { createDb } from "@stockroom/db";
import { createLogger } from "@stockroom/logging";
import type { EventConsumer } from "@stockroom/messaging";
import { toOutboxRow } from "@stockroom/outbox";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import {
  FulfillmentCancelledSchema,
  FulfillmentCreatedSchema,
  FulfillmentShippedSchema,
  FulfillmentShortSchema,
  ReturnRefundRequestedSchema,
  ShortReason,
} from "@stockroom/proto/stockroom/fulfillment/v1/events_pb.js";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import { type Order, OrderSchema, OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { PaymentMethod } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import {
  createTestSchema,
  createTestTopics,
  type TestSchema,
  type TestTopics,
  uniqueSuffix,
} from "@stockroom/testkit";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildUseCases, type UseCases } from "../src/app/build-use-cases.ts";
import { createUseCaseDeps } from "../src/app/use-case-deps.ts";
import type { FulfillmentDatabase } from "../src/data/database.ts";
import { DEFAULT_REFUND_POLICY, DEFAULT_RETURN_WINDOW_MS } from "../src/domain/return-rules.ts";
import { createWarehouseClient, isRetryableWarehouseError } from "../src/transport/grpc/warehouse.client.ts";
import { createOrderEventsConsumer } from "../src/transport/kafka/order-events.consumer.ts";
import { startWarehouseProcess, TEST_JWT, type WarehouseProcess } from "./support/warehouse-process.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/fulfillment", import.meta.url));

let warehouse: WarehouseProcess;
let schema: TestSchema;
let topics: TestTopics<"order" | "fulfillment" | "return" | "order.dlq">;
let producer: Producer;
let consumer: EventConsumer;
let useCases: UseCases;
let warehousePort: ReturnType<typeof createWarehouseClient>;
const WH = `WH-${uniqueSuffix().slice(-6).toUpperCase()}`;

beforeAll(async () => {
  [warehouse, schema, topics] = await Promise.all([
    startWarehouseProcess(),
    createTestSchema({ migrations: MIGRATIONS }),
    createTestTopics(["order", "fulfillment", "return", "order.dlq"] as const),
  ]);
  await warehouse.admin.createWarehouse({
    idempotencyKey: `create-${WH}`,
    warehouse: { code: WH, name: "Main", capacityUnits: 100_000n },
  });
  await warehouse.admin.receiveStock({
    idempotencyKey: `receipt-${WH}`,
    warehouseCode: WH,
    reference: { type: "purchase_order", id: "PO-1" },
    lines: [
      { sku: "SKU-1", quantity: 10 },
      { sku: "SKU-SHIP", quantity: 10 },
      { sku: "SKU-RACE", quantity: 10 },
    ],
  });
  const client = createWarehouseClient({ address: warehouse.address, jwt: TEST_JWT });
  warehousePort = client;
  const db = createDb<FulfillmentDatabase>(schema.pool);
  const deps = createUseCaseDeps(db, {
    warehouse: client,
    topics: { fulfillment: topics.topics.fulfillment, return: topics.topics.return },
  });
  useCases = buildUseCases(deps, {
    commandWorker: { batchSize: 50, leaseMs: 30_000, isRetryable: isRetryableWarehouseError },
    returnWindowMs: DEFAULT_RETURN_WINDOW_MS,
    refundPolicy: DEFAULT_REFUND_POLICY,
  });
  consumer = createOrderEventsConsumer({
    kafka: topics.kafka,
    db,
    useCases: useCases.orderEvents,
    logger: createLogger({ service: "fulfillment-test", level: "warn" }),
    topic: topics.topics.order,
    groupId: `fulfillment-test-${uniqueSuffix()}`,
  });
  await consumer.start();
  producer = topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
}, 180_000);

afterAll(async () => {
  await producer?.disconnect();
  await consumer?.stop();
  warehousePort?.close();
  await topics?.delete();
  await schema?.drop();
  await warehouse?.stop();
});

const q = (text: string, values: unknown[] = []) => schema.pool.query(text, values);

// A real reservation of `quantity` units in WH, confirmed for the order unless told otherwise.
async function reserve(orderId: string, quantity: number, confirm = true, sku = "SKU-1"): Promise<string> {
  const { reservation } = await warehouse.warehouse.reserve({
    idempotencyKey: `checkout-${orderId}`,
    reference: { type: "checkout", id: orderId },
    lines: [{ sku, quantity, warehouseCode: WH }],
    paymentMethod: PaymentMethod.CARD,
  });
  const reservationId = reservation?.reservationId ?? "";
  if (confirm) {
    await warehouse.warehouse.confirmReservation({
      idempotencyKey: `confirm-${orderId}`,
      reservationId,
      order: { type: "order", id: orderId },
    });
  }
  return reservationId;
}

function orderOf(
  orderId: string,
  reservationId: string,
  quantity: number,
  status = OrderStatus.CONFIRMED,
  sku = "SKU-1",
): Order {
  return create(OrderSchema, {
    orderId,
    customerId: "cust-1",
    status,
    currency: "EUR",
    checkout: { checkoutId: randomUUID(), reservationId },
    lines: [
      {
        lineNumber: 1,
        sku,
        productName: "Thing",
        unitPrice: { amountMinor: 2500n, currency: "EUR" },
        quantities: { ordered: quantity, allocated: quantity },
        allocations: [{ warehouseCode: WH, lotCode: "", quantity }],
      },
    ],
  });
}

let version = 0;
async function publish(eventType: "OrderConfirmed" | "OrderCancelled", order: Order): Promise<Uint8Array> {
  version += 1;
  const row =
    eventType === "OrderConfirmed"
      ? toOutboxRow(
          { producer: "order" },
          {
            topic: topics.topics.order,
            messageKey: order.orderId,
            aggregateType: "order",
            aggregateId: order.orderId,
            aggregateVersion: version,
            eventType,
            payloadSchema: OrderConfirmedSchema,
            payload: create(OrderConfirmedSchema, { order }),
          },
        )
      : toOutboxRow(
          { producer: "order" },
          {
            topic: topics.topics.order,
            messageKey: order.orderId,
            aggregateType: "order",
            aggregateId: order.orderId,
            aggregateVersion: version,
            eventType,
            payloadSchema: OrderCancelledSchema,
            payload: create(OrderCancelledSchema, { order, reason: "customer changed their mind" }),
          },
        );
  await producer.send({
    topic: topics.topics.order,
    acks: -1,
    messages: [{ key: order.orderId, value: Buffer.from(row.envelope) }],
  });
  return row.envelope;
}

async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function fulfillmentOf(orderId: string, status?: string) {
  const { rows } = await q("SELECT * FROM fulfillment_orders WHERE order_id = $1", [orderId]);
  return rows[0] && (status === undefined || rows[0].status === status) ? rows[0] : undefined;
}

async function outboxPayloads(fulfillmentId: string) {
  const { rows } = await q("SELECT event_type, envelope FROM outbox WHERE aggregate_id = $1 ORDER BY id", [
    fulfillmentId,
  ]);
  return rows.map((r) => ({
    type: r.event_type as string,
    envelope: fromBinary(EventEnvelopeSchema, r.envelope),
  }));
}

describe("order events into fulfillment orders", () => {
  it("opens the fulfillment once the warehouse confirms the reservation, and writes FulfillmentCreated", async () => {
    const orderId = randomUUID();
    const reservationId = await reserve(orderId, 3);
    await publish("OrderConfirmed", orderOf(orderId, reservationId, 3));
    const verifying = await eventually(() => fulfillmentOf(orderId, "verifying"));
    const commands = await q(
      "SELECT kind, idempotency_key, status FROM warehouse_commands WHERE aggregate_id = $1",
      [verifying.fulfillment_id],
    );
    expect(commands.rows).toEqual([
      {
        kind: "verify_reservation",
        idempotency_key: `${verifying.fulfillment_id}:verify-reservation`,
        status: "pending",
      },
    ]);
    // Nothing is asked of the warehouse until the worker runs, after the consumer's commit.
    expect((await outboxPayloads(verifying.fulfillment_id)).length).toBe(0);

    const tick = await useCases.commands.sendDue();
    expect(tick).toMatchObject({ sent: 1, failed: 0 });
    const open = await fulfillmentOf(orderId, "open");
    expect(open).toBeDefined();
    const lines = await q(
      "SELECT ordered, short_quantity, reservation_line_number FROM fulfillment_lines WHERE fulfillment_id = $1",
      [verifying.fulfillment_id],
    );
    expect(lines.rows).toEqual([{ ordered: 3, short_quantity: 0, reservation_line_number: 1 }]);
    const events = await outboxPayloads(verifying.fulfillment_id);
    expect(events.map((e) => e.type)).toEqual(["FulfillmentCreated"]);
    const created =
      events[0]?.envelope.payload && anyUnpack(events[0].envelope.payload, FulfillmentCreatedSchema);
    expect(created).toMatchObject({
      orderId,
      warehouseCode: WH,
      reservationId,
      lines: [{ sku: "SKU-1", quantity: 3 }],
    });
    const sent = await q("SELECT status, attempts FROM warehouse_commands WHERE aggregate_id = $1", [
      verifying.fulfillment_id,
    ]);
    expect(sent.rows).toEqual([{ status: "sent", attempts: 1 }]);
  });

  it("refuses a fulfillment whose reservation is not confirmed: the units go short, FulfillmentShort says so", async () => {
    const orderId = randomUUID();
    const reservationId = await reserve(orderId, 2, false);
    await warehouse.warehouse.releaseReservation({
      idempotencyKey: `release-${orderId}`,
      reservationId,
      reason: "test",
    });
    await publish("OrderConfirmed", orderOf(orderId, reservationId, 2));
    const verifying = await eventually(() => fulfillmentOf(orderId, "verifying"));
    await useCases.commands.sendDue();
    const cancelled = await fulfillmentOf(orderId, "cancelled");
    expect(cancelled?.cancel_reason).toContain("released");
    const lines = await q("SELECT short_quantity, picked FROM fulfillment_lines WHERE fulfillment_id = $1", [
      verifying.fulfillment_id,
    ]);
    expect(lines.rows).toEqual([{ short_quantity: 2, picked: 0 }]);
    const events = await outboxPayloads(verifying.fulfillment_id);
    expect(events.map((e) => e.type)).toEqual(["FulfillmentShort"]);
    const short =
      events[0]?.envelope.payload && anyUnpack(events[0].envelope.payload, FulfillmentShortSchema);
    expect(short).toMatchObject({ orderId, reason: ShortReason.STOCK_LOST, lines: [{ quantity: 2 }] });
  });

  it("creates nothing twice when OrderConfirmed is delivered again", async () => {
    const orderId = randomUUID();
    const reservationId = await reserve(orderId, 1);
    const envelope = await publish("OrderConfirmed", orderOf(orderId, reservationId, 1));
    await eventually(() => fulfillmentOf(orderId));
    // The same envelope (same event id) again, and a new event for the same order and warehouse.
    await producer.send({
      topic: topics.topics.order,
      acks: -1,
      messages: [{ key: orderId, value: Buffer.from(envelope) }],
    });
    await publish("OrderConfirmed", orderOf(orderId, reservationId, 1));
    const marker = randomUUID();
    const markerReservation = await reserve(marker, 1);
    await publish("OrderConfirmed", orderOf(marker, markerReservation, 1));
    await eventually(() => fulfillmentOf(marker));
    const { rows } = await q("SELECT count(*)::int AS n FROM fulfillment_orders WHERE order_id = $1", [
      orderId,
    ]);
    expect(rows[0].n).toBe(1);
    const commands = await q(
      "SELECT count(*)::int AS n FROM warehouse_commands c JOIN fulfillment_orders f ON f.fulfillment_id = c.aggregate_id WHERE f.order_id = $1",
      [orderId],
    );
    expect(commands.rows[0].n).toBe(1);
  });

  it("cancels an unshipped fulfillment on OrderCancelled, once, with FulfillmentCancelled", async () => {
    const orderId = randomUUID();
    const reservationId = await reserve(orderId, 2);
    await publish("OrderConfirmed", orderOf(orderId, reservationId, 2));
    const verifying = await eventually(() => fulfillmentOf(orderId, "verifying"));
    await useCases.commands.sendDue();
    await eventually(() => fulfillmentOf(orderId, "open"));
    // The order service releases the committed units itself (its cancellation saga), then says so.
    await warehouse.warehouse.cancelReservation({
      idempotencyKey: `cancel-${orderId}`,
      reservationId,
      reason: "test",
    });
    await publish("OrderCancelled", orderOf(orderId, reservationId, 2, OrderStatus.CANCELLED));
    await eventually(() => fulfillmentOf(orderId, "cancelled"));
    const lines = await q(
      "SELECT cancelled, picked, short_quantity FROM fulfillment_lines WHERE fulfillment_id = $1",
      [verifying.fulfillment_id],
    );
    expect(lines.rows).toEqual([{ cancelled: 2, picked: 0, short_quantity: 0 }]);
    const events = await outboxPayloads(verifying.fulfillment_id);
    expect(events.map((e) => e.type)).toEqual(["FulfillmentCreated", "FulfillmentCancelled"]);
    const cancelled =
      events[1]?.envelope.payload && anyUnpack(events[1].envelope.payload, FulfillmentCancelledSchema);
    expect(cancelled).toMatchObject({ orderId, lines: [{ quantity: 2 }] });
    expect(events.map((e) => e.envelope.aggregateVersion)).toEqual([2n, 3n]);
  });
});

describe("shipping through the warehouse", () => {
  // Picking and packing have no API yet (the warehouse cannot yet say which bins hold an allocation's
  // units): the test moves the fulfillment to packed in SQL, within the schema's CHECKs, and ships it
  // through the use case and the real warehouse.
  async function packedFulfillment(orderId: string, quantity: number, sku = "SKU-1"): Promise<string> {
    const reservationId = await reserve(orderId, quantity, true, sku);
    await publish("OrderConfirmed", orderOf(orderId, reservationId, quantity, OrderStatus.CONFIRMED, sku));
    const f = await eventually(() => fulfillmentOf(orderId, "verifying"));
    await useCases.commands.sendDue();
    await eventually(() => fulfillmentOf(orderId, "open"));
    const pickListId = randomUUID();
    await q("INSERT INTO pick_lists (pick_list_id, warehouse_code, created_by) VALUES ($1, $2, 'test')", [
      pickListId,
      WH,
    ]);
    await q("UPDATE fulfillment_orders SET status = 'packed', pick_list_id = $2 WHERE fulfillment_id = $1", [
      f.fulfillment_id,
      pickListId,
    ]);
    await q("UPDATE fulfillment_lines SET picked = ordered, packed = ordered WHERE fulfillment_id = $1", [
      f.fulfillment_id,
    ]);
    await q(
      `INSERT INTO packages (package_id, fulfillment_id, status, length_mm, width_mm, height_mm, expected_weight_grams,
         measured_weight_grams) VALUES ($1, $2, 'packed', 300, 200, 100, 900, 905)`,
      [randomUUID(), f.fulfillment_id],
    );
    return f.fulfillment_id;
  }

  async function stockOf(sku: string) {
    const { stock } = await warehouse.warehouse.getStock({ sku, warehouseCode: WH });
    const level = stock?.levels[0];
    return { onHand: level?.onHand, reserved: level?.reserved, committed: level?.committed };
  }

  async function damagedOf(sku: string) {
    const { stock } = await warehouse.warehouse.getStock({ sku, warehouseCode: WH });
    return stock?.levels[0]?.damaged;
  }

  it("stock 10, order 3, ship: 7 on hand, 0 reserved, 0 committed; return 2 sellable, 1 damaged: 9 on hand, 1 damaged", async () => {
    const orderId = randomUUID();
    const fulfillmentId = await packedFulfillment(orderId, 3, "SKU-SHIP");
    expect(await stockOf("SKU-SHIP")).toEqual({ onHand: 10n, reserved: 0n, committed: 3n });
    const context = { producer: "fulfillment", actor: "ops-1", principal: "ops-1" };
    const command = {
      idempotencyKey: `ship-${orderId}`,
      fulfillmentId,
      carrier: "DHL",
      trackingNumber: `TRK-${orderId.slice(0, 8)}`,
    };
    const shipped = await useCases.floor.ship(command, context);
    // The same key replays the first answer and queues nothing more.
    expect(await useCases.floor.ship(command, context)).toEqual(shipped);
    expect((await outboxPayloads(fulfillmentId)).map((e) => e.type)).toEqual(["FulfillmentCreated"]);
    expect(await stockOf("SKU-SHIP")).toEqual({ onHand: 10n, reserved: 0n, committed: 3n });

    expect(await useCases.commands.sendDue()).toMatchObject({ sent: 1, failed: 0 });
    const after = await stockOf("SKU-SHIP");
    expect(after).toEqual({ onHand: 7n, reserved: 0n, committed: 0n });
    // The same command sent again by the service (a worker that died before marking it sent) gets the
    // first answer back and moves nothing more.
    await warehousePort.shipReservation({
      idempotencyKey: `${fulfillmentId}:ship`,
      reservationId: (await fulfillmentOf(orderId))?.reservation_id,
      lineNumbers: [1],
      shipmentId: shipped.shipmentId,
    });
    expect(await stockOf("SKU-SHIP")).toEqual(after);
    expect(await useCases.commands.sendDue()).toMatchObject({ claimed: 0 });

    const events = await outboxPayloads(fulfillmentId);
    expect(events.map((e) => e.type)).toEqual(["FulfillmentCreated", "FulfillmentShipped"]);
    const event =
      events[1]?.envelope.payload && anyUnpack(events[1].envelope.payload, FulfillmentShippedSchema);
    expect(event).toMatchObject({
      orderId,
      shipmentId: shipped.shipmentId,
      carrier: "DHL",
      lines: [{ sku: "SKU-SHIP", quantity: 3, warehouseCode: WH }],
    });
    expect((await fulfillmentOf(orderId))?.status).toBe("shipped");
    await expect(
      useCases.floor.ship({ ...command, idempotencyKey: `again-${orderId}` }, context),
    ).rejects.toMatchObject({
      kind: "failed_precondition",
    });

    // Delivered, then returned: 2 sellable and 1 damaged → 9 on hand, 1 damaged, each unit once.
    await useCases.floor.confirmDelivery({ idempotencyKey: `deliver-${orderId}`, fulfillmentId }, context);
    expect((await outboxPayloads(fulfillmentId)).map((e) => e.type)).toEqual([
      "FulfillmentCreated",
      "FulfillmentShipped",
      "FulfillmentDelivered",
    ]);
    const shop = { producer: "fulfillment", actor: "shop-1", principal: "shop-1" };
    const request = {
      idempotencyKey: `return-${orderId}`,
      fulfillmentId,
      customerId: "cust-1",
      lines: [{ orderLineNumber: 1, quantity: 3 }],
      reason: "defective" as const,
      note: "",
    };
    await expect(
      useCases.returns.request(
        { ...request, idempotencyKey: `too-many-${orderId}`, lines: [{ orderLineNumber: 1, quantity: 4 }] },
        shop,
      ),
    ).rejects.toMatchObject({ field: "lines[0].quantity" });
    await expect(
      useCases.returns.request(
        { ...request, idempotencyKey: `other-${orderId}`, customerId: "cust-2" },
        shop,
      ),
    ).rejects.toMatchObject({ kind: "not_found" });
    const requested = await useCases.returns.request(request, shop);
    // Everything delivered is now asked back: a second return of the line is refused.
    await expect(
      useCases.returns.request(
        { ...request, idempotencyKey: `second-${orderId}`, lines: [{ orderLineNumber: 1, quantity: 1 }] },
        shop,
      ),
    ).rejects.toMatchObject({ field: "lines[0].quantity" });
    const returnId = requested.returnId;
    await useCases.returns.authorize({ idempotencyKey: `auth-${orderId}`, returnId }, context);
    await useCases.returns.receive(
      {
        idempotencyKey: `recv-${orderId}`,
        returnId,
        warehouseCode: WH,
        lines: [{ orderLineNumber: 1, quantity: 3 }],
      },
      context,
    );
    await expect(
      useCases.returns.inspect(
        {
          idempotencyKey: `bad-inspect-${orderId}`,
          returnId,
          dispositions: [{ orderLineNumber: 1, condition: "sellable", quantity: 2 }],
        },
        context,
      ),
    ).rejects.toMatchObject({ field: "dispositions" });
    const inspected = await useCases.returns.inspect(
      {
        idempotencyKey: `inspect-${orderId}`,
        returnId,
        dispositions: [
          { orderLineNumber: 1, condition: "sellable", quantity: 2 },
          { orderLineNumber: 1, condition: "damaged", quantity: 1 },
        ],
      },
      context,
    );
    expect(inspected).toMatchObject({ status: "inspected", refundMinor: 7500 });
    expect(await stockOf("SKU-SHIP")).toEqual({ onHand: 7n, reserved: 0n, committed: 0n });

    expect(await useCases.commands.sendDue()).toMatchObject({ sent: 2, failed: 0 });
    expect(await stockOf("SKU-SHIP")).toEqual({ onHand: 9n, reserved: 0n, committed: 0n });
    expect(await damagedOf("SKU-SHIP")).toBe(1n);
    const line = await q("SELECT returned, restocked FROM fulfillment_lines WHERE fulfillment_id = $1", [
      fulfillmentId,
    ]);
    expect(line.rows).toEqual([{ returned: 3, restocked: 3 }]);
    const closed = await q("SELECT status, refund_minor FROM returns WHERE return_id = $1", [returnId]);
    expect(closed.rows).toEqual([{ status: "closed", refund_minor: "7500" }]);
    // A restock resent by the service (a crash before marking it sent) takes nothing back twice.
    await warehousePort.restockReturn({
      idempotencyKey: `${returnId}:restock:1:sellable`,
      returnId,
      lines: [{ sku: "SKU-SHIP", warehouseCode: WH, quantity: 2, lotCode: "", condition: "sellable" }],
    });
    expect(await stockOf("SKU-SHIP")).toEqual({ onHand: 9n, reserved: 0n, committed: 0n });
    expect(await useCases.commands.sendDue()).toMatchObject({ claimed: 0 });
    const returnEvents = await outboxPayloads(returnId);
    expect(returnEvents.map((e) => e.type)).toEqual([
      "ReturnRequested",
      "ReturnReceived",
      "ReturnRefundRequested",
    ]);
    const refund =
      returnEvents[2]?.envelope.payload &&
      anyUnpack(returnEvents[2].envelope.payload, ReturnRefundRequestedSchema);
    expect(refund).toMatchObject({ orderId, amount: { amountMinor: 7500n, currency: "EUR" } });
  });

  it("refuses a bad carrier or tracking number naming the field, and changes nothing", async () => {
    const orderId = randomUUID();
    const fulfillmentId = await packedFulfillment(orderId, 1);
    const context = { producer: "fulfillment", actor: "ops-1", principal: "ops-1" };
    await expect(
      useCases.floor.ship(
        { idempotencyKey: `s-${orderId}`, fulfillmentId, carrier: "", trackingNumber: "T1" },
        context,
      ),
    ).rejects.toMatchObject({ field: "carrier" });
    await expect(
      useCases.floor.ship(
        { idempotencyKey: `s-${orderId}`, fulfillmentId, carrier: "DHL", trackingNumber: "/bad" },
        context,
      ),
    ).rejects.toMatchObject({ field: "tracking_number" });
    expect((await fulfillmentOf(orderId))?.status).toBe("packed");
    const commands = await q("SELECT kind FROM warehouse_commands WHERE aggregate_id = $1", [fulfillmentId]);
    expect(commands.rows.map((r) => r.kind)).toEqual(["verify_reservation"]);
  });
});

describe("the warehouse command worker", () => {
  it("sends each command once when two workers race for the same due commands (SKIP LOCKED claims)", async () => {
    const orders = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const orderId = randomUUID();
        const reservationId = await reserve(orderId, 1, true, "SKU-RACE");
        return { orderId, reservationId };
      }),
    );
    const deps = createUseCaseDeps(createDb<FulfillmentDatabase>(schema.pool), {
      warehouse: warehousePort,
      topics: { fulfillment: topics.topics.fulfillment, return: topics.topics.return },
    });
    const { createFulfillments } = buildUseCases(deps, {
      commandWorker: { batchSize: 50, leaseMs: 30_000, isRetryable: isRetryableWarehouseError },
      returnWindowMs: DEFAULT_RETURN_WINDOW_MS,
      refundPolicy: DEFAULT_REFUND_POLICY,
    }).orderEvents;
    await deps.transaction(async (trx) => {
      for (const o of orders) {
        await createFulfillments(trx, {
          orderId: o.orderId,
          customerId: "cust-1",
          currency: "EUR",
          reservationId: o.reservationId,
          lines: [
            {
              orderLineNumber: 1,
              sku: "SKU-RACE",
              unitPriceMinor: 100,
              allocations: [{ warehouseCode: WH, lotCode: "", quantity: 1 }],
            },
          ],
        });
      }
    });
    const [a, b] = await Promise.all([useCases.commands.sendDue(), useCases.commands.sendDue()]);
    expect((a?.sent ?? 0) + (b?.sent ?? 0)).toBe(8);
    const { rows } = await q(
      `SELECT c.status, c.attempts, f.status AS fulfillment_status,
              (SELECT count(*)::int FROM outbox o WHERE o.aggregate_id = f.fulfillment_id::text) AS events
         FROM fulfillment_orders f JOIN warehouse_commands c ON c.aggregate_id = f.fulfillment_id
        WHERE f.order_id = ANY($1::uuid[])`,
      [orders.map((o) => o.orderId)],
    );
    expect(rows).toHaveLength(8);
    expect(
      rows.every(
        (r) => r.status === "sent" && r.attempts === 1 && r.fulfillment_status === "open" && r.events === 1,
      ),
    ).toBe(true);
  });
});
