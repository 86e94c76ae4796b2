// StartCheckout's short-stock refusal on the wire: the shortfall packed as
// stockroom.order.v1.CheckoutShortfall into the error's stockroom.common.v1.ErrorDetail.details, beside
// the reason, the per-line facts and google.rpc.PreconditionFailure the error mapping adds.
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { AppError } from "@stockroom/errors";
import { CheckoutShortfallSchema } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { CheckoutShortfallError } from "../../app/checkout-stock-answer.ts";

export function withShortfallDetail(err: unknown): unknown {
  if (!(err instanceof CheckoutShortfallError)) return err;
  const { cartId, orderId, lines } = err.shortfall;
  const detail = anyPack(
    CheckoutShortfallSchema,
    create(CheckoutShortfallSchema, {
      cartId,
      orderId,
      lines: lines.map((l) => ({
        lineNumber: l.lineNumber,
        sku: l.sku,
        warehouseCode: l.warehouseCode ?? "",
        requested: l.requested,
        available: BigInt(l.available),
      })),
    }),
  );
  return new AppError(err.kind, err.message, {
    reason: err.reason,
    ...(err.metadata ? { metadata: err.metadata } : {}),
    preconditionViolations: err.preconditionViolations,
    details: [detail],
  });
}
