// Decoding order.order.v1 envelopes by their event type: OrderDelivered and OrderReturned become order
// snapshots with per-line delivered and returned units; other types are ignored; a payload that does not
// match its type, or an order without its customer, is a poison message.
import { create, fromBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { OrderPlacedSchema } from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import { describe, expect, it } from "vitest";
import { decodeOrderEvent, OrderEventInvalidError } from "../src/transport/kafka/order-events.consumer.ts";
import { orderConfirmed, orderDelivered, orderReturned, orderSnapshot } from "./support/order-events.ts";

const decode = (bytes: Uint8Array) => decodeOrderEvent(fromBinary(EventEnvelopeSchema, bytes));

describe("decodeOrderEvent", () => {
  it("reads delivered lines from OrderDelivered, with the delivery time", () => {
    const at = new Date("2026-11-30T10:00:00Z");
    const order = orderSnapshot(
      "O-1",
      "cust-1",
      [
        { lineNumber: 1, sku: "A", delivered: 2 },
        { lineNumber: 2, sku: "B", ordered: 1 },
      ],
      4,
    );
    const snapshot = decode(orderDelivered("t", order, 4, [{ lineNumber: 1, sku: "A", quantity: 2 }], at));
    expect(snapshot).toMatchObject({ orderId: "O-1", customerId: "cust-1", orderVersion: 4 });
    // Line 2 was not delivered: it proves nothing and is left out.
    expect(snapshot?.lines).toEqual([
      {
        orderId: "O-1",
        lineNumber: 1,
        customerId: "cust-1",
        sku: "A",
        deliveredQuantity: 2,
        returnedQuantity: 0,
        deliveredAt: at,
      },
    ]);
  });

  it("reads returned units from OrderReturned, never more than delivered", () => {
    const order = orderSnapshot("O-2", "cust-2", [{ lineNumber: 1, sku: "A", delivered: 1, returned: 1 }], 6);
    const snapshot = decode(orderReturned("t", order, 6, [{ lineNumber: 1, sku: "A", quantity: 1 }]));
    expect(snapshot?.lines[0]).toMatchObject({
      deliveredQuantity: 1,
      returnedQuantity: 1,
      deliveredAt: null,
    });
  });

  it("ignores the topic's other event types", () => {
    expect(
      decode(orderConfirmed("t", orderSnapshot("O-3", "c", [{ lineNumber: 1, sku: "A" }], 1), 1)),
    ).toBeUndefined();
  });

  it("refuses a payload that is not the type's message, and an order without its customer", () => {
    const mismatched = create(EventEnvelopeSchema, {
      eventId: "0192e4a0-0000-7000-8000-000000000001",
      eventType: "OrderDelivered",
      aggregateVersion: 2n,
      payload: anyPack(
        OrderPlacedSchema,
        create(OrderPlacedSchema, { order: { orderId: "O-4", customerId: "c" } }),
      ),
    });
    expect(() => decodeOrderEvent(mismatched)).toThrow(OrderEventInvalidError);
    const anonymous = orderSnapshot("O-5", "", [{ lineNumber: 1, sku: "A", delivered: 1 }], 2);
    expect(() => decode(orderDelivered("t", anonymous, 2, []))).toThrow(OrderEventInvalidError);
  });
});
