// Guards the generated code's shape that other packages rely on: js+dts output importable by Node,
// the envelope's Any payload, and the error detail.
import { create, createRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ErrorDetailSchema, ErrorReason } from "../src/gen/stockroom/common/v1/error_pb.js";
import { EventEnvelopeSchema } from "../src/gen/stockroom/common/v1/event_envelope_pb.js";
import { EchoRequestSchema } from "../src/gen/stockroom/testing/v1/echo_pb.js";

describe("generated protos", () => {
  it("round-trips an event envelope with an Any payload", () => {
    const payload = create(EchoRequestSchema, { message: "hello" });
    const envelope = create(EventEnvelopeSchema, {
      eventId: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      eventType: "stockroom.testing.v1.EchoRequest",
      aggregateType: "echo",
      aggregateId: "e-1",
      aggregateVersion: 7n,
      occurredAt: timestampFromDate(new Date("2026-01-01T00:00:00Z")),
      producer: "test",
      payload: anyPack(EchoRequestSchema, payload),
    });
    const decoded = fromBinary(EventEnvelopeSchema, toBinary(EventEnvelopeSchema, envelope));
    expect(decoded.aggregateVersion).toBe(7n);
    expect(decoded.payload?.typeUrl).toBe("type.googleapis.com/stockroom.testing.v1.EchoRequest");
    const unpacked = decoded.payload && anyUnpack(decoded.payload, createRegistry(EchoRequestSchema));
    expect(unpacked).toMatchObject({ message: "hello" });
  });

  it("exposes ErrorReason as a runtime object with stable numbers", () => {
    expect(ErrorReason.UNSPECIFIED).toBe(0);
    expect(ErrorReason.INSUFFICIENT_STOCK).toBe(100);
    const detail = create(ErrorDetailSchema, { reason: ErrorReason.SKU_NOT_FOUND, metadata: { sku: "A" } });
    expect(fromBinary(ErrorDetailSchema, toBinary(ErrorDetailSchema, detail)).metadata).toEqual({ sku: "A" });
  });
});
