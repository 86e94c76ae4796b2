// The short-stock refusal's contract: a CheckoutShortfall packed into ErrorDetail.details survives the
// wire (as the trailing metadata carries it) and unpacks by type, with every line's availability.
import { create, createRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { ErrorDetailSchema, ErrorReason } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
import { CheckoutShortfallSchema } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { describe, expect, it } from "vitest";

describe("checkout shortfall detail", () => {
  it("round-trips through ErrorDetail.details", () => {
    const shortfall = create(CheckoutShortfallSchema, {
      cartId: "c-1",
      orderId: "o-1",
      lines: [
        { lineNumber: 1, sku: "A-1", requested: 3, available: 1n },
        { lineNumber: 2, sku: "B-1", warehouseCode: "W1", requested: 2, available: 0n },
      ],
    });
    const detail = create(ErrorDetailSchema, {
      reason: ErrorReason.INSUFFICIENT_STOCK,
      message: "not enough stock for 2 lines",
      details: [anyPack(CheckoutShortfallSchema, shortfall)],
    });
    const decoded = fromBinary(ErrorDetailSchema, toBinary(ErrorDetailSchema, detail));
    expect(decoded.reason).toBe(ErrorReason.INSUFFICIENT_STOCK);
    expect(decoded.details[0]?.typeUrl).toBe("type.googleapis.com/stockroom.order.v1.CheckoutShortfall");
    const unpacked =
      decoded.details[0] && anyUnpack(decoded.details[0], createRegistry(CheckoutShortfallSchema));
    expect(unpacked).toMatchObject({
      cartId: "c-1",
      lines: [
        { lineNumber: 1, sku: "A-1", requested: 3, available: 1n },
        { lineNumber: 2, sku: "B-1", warehouseCode: "W1", requested: 2, available: 0n },
      ],
    });
  });
});
