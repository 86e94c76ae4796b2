// What the order-events consumer takes from an envelope, and how an order's allocations become one
// fulfillment per warehouse.
import { create } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
} from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import { OrderSchema, OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { describe, expect, it } from "vitest";
import { fulfillmentsOf } from "../src/app/create-fulfillments.ts";
import { decodeOrderEvent, OrderEventInvalidError } from "../src/transport/kafka/order-events.consumer.ts";

const order = create(OrderSchema, {
  orderId: "o-1",
  customerId: "c-1",
  currency: "EUR",
  status: OrderStatus.CONFIRMED,
  checkout: { reservationId: "r-1" },
  lines: [
    {
      lineNumber: 1,
      sku: "A",
      unitPrice: { amountMinor: 1000n, currency: "EUR" },
      allocations: [
        { warehouseCode: "W1", lotCode: "L1", quantity: 2 },
        { warehouseCode: "W2", lotCode: "", quantity: 1 },
      ],
    },
    {
      lineNumber: 2,
      sku: "B",
      unitPrice: { amountMinor: 500n, currency: "EUR" },
      allocations: [
        { warehouseCode: "W1", lotCode: "L7", quantity: 1 },
        { warehouseCode: "W1", lotCode: "L8", quantity: 1 },
      ],
    },
  ],
});

const envelopeOf = (payload: Any) =>
  create(EventEnvelopeSchema, { eventId: "e-1", aggregateVersion: 1n, payload });

describe("order event decoding", () => {
  it("takes the order, its reservation and allocations from OrderConfirmed", () => {
    const event = decodeOrderEvent(
      envelopeOf(anyPack(OrderConfirmedSchema, create(OrderConfirmedSchema, { order }))),
    );
    expect(event).toMatchObject({
      kind: "confirmed",
      order: {
        orderId: "o-1",
        reservationId: "r-1",
        lines: [{ orderLineNumber: 1, unitPriceMinor: 1000 }, { sku: "B" }],
      },
    });
  });

  it("refuses an OrderConfirmed without a reservation or lines (a poison message)", () => {
    const bare = create(OrderSchema, { orderId: "o-1", lines: [{ lineNumber: 1, sku: "A" }] });
    expect(() =>
      decodeOrderEvent(
        envelopeOf(anyPack(OrderConfirmedSchema, create(OrderConfirmedSchema, { order: bare }))),
      ),
    ).toThrow(OrderEventInvalidError);
  });

  it("cancels on OrderCancelled of a cancelled order; ignores a line cancel of a live order and other types", () => {
    const cancelled = create(OrderSchema, { orderId: "o-1", status: OrderStatus.CANCELLED });
    expect(
      decodeOrderEvent(
        envelopeOf(
          anyPack(OrderCancelledSchema, create(OrderCancelledSchema, { order: cancelled, reason: "r" })),
        ),
      ),
    ).toEqual({ kind: "cancelled", orderId: "o-1", reason: "r" });
    expect(
      decodeOrderEvent(envelopeOf(anyPack(OrderCancelledSchema, create(OrderCancelledSchema, { order }))))
        .kind,
    ).toBe("ignored");
    expect(
      decodeOrderEvent(envelopeOf(anyPack(OrderPlacedSchema, create(OrderPlacedSchema, { order })))).kind,
    ).toBe("ignored");
  });
});

describe("fulfillments of an order", () => {
  it("makes one fulfillment per warehouse, units summed per line, a lot named only when it is the only one", () => {
    const event = decodeOrderEvent(
      envelopeOf(anyPack(OrderConfirmedSchema, create(OrderConfirmedSchema, { order }))),
    );
    if (event.kind !== "confirmed") throw new Error("expected confirmed");
    const planned = fulfillmentsOf(event.order);
    expect(planned.map((f) => f.warehouseCode)).toEqual(["W1", "W2"]);
    expect(planned[0]).toMatchObject({
      orderValueMinor: 3000,
      lines: [
        { orderLineNumber: 1, lotCode: "L1", ordered: 2 },
        { orderLineNumber: 2, lotCode: "", ordered: 2 },
      ],
    });
    expect(planned[1]).toMatchObject({ orderValueMinor: 1000, lines: [{ orderLineNumber: 1, ordered: 1 }] });
  });
});
