// CartView (app) → proto Cart.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { CartSchema } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { CartStatus, StockHoldMode } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import type { CartView } from "../../app/cart-view.ts";
import { PAYMENT_METHOD_TO_PROTO } from "../../app/order-message.ts";
import type { Money } from "../../domain/money.ts";

const STATUS: Record<string, CartStatus> = {
  open: CartStatus.OPEN,
  checking_out: CartStatus.CHECKING_OUT,
  checked_out: CartStatus.CHECKED_OUT,
  abandoned: CartStatus.ABANDONED,
};

const money = (m: Money | null) =>
  m ? { amountMinor: BigInt(m.amountMinor), currency: m.currency } : undefined;

export function encodeCart(cart: CartView): MessageInitShape<typeof CartSchema> {
  return {
    cartId: cart.cartId,
    customerId: cart.customerId,
    status: STATUS[cart.status] ?? CartStatus.UNSPECIFIED,
    currency: cart.currency,
    subtotal: money(cart.subtotal),
    stockHoldMode:
      cart.stockHoldMode === "from_add_to_cart" ? StockHoldMode.FROM_ADD_TO_CART : StockHoldMode.AT_CHECKOUT,
    holdReservationId: cart.holdReservationId ?? "",
    ...(cart.holdExpiresAt ? { holdExpiresAt: timestampFromDate(cart.holdExpiresAt) } : {}),
    version: BigInt(cart.version),
    createdAt: timestampFromDate(cart.createdAt),
    updatedAt: timestampFromDate(cart.updatedAt),
    latestOrderId: cart.latestOrderId ?? "",
    ...(cart.shippingDestination ? { shippingDestination: cart.shippingDestination as never } : {}),
    ...(cart.paymentMethod
      ? { paymentMethod: { type: PAYMENT_METHOD_TO_PROTO[cart.paymentMethod], token: cart.paymentToken } }
      : {}),
    lines: cart.lines.map((l) => ({
      lineNumber: l.lineNumber,
      sku: l.sku,
      quantity: l.quantity,
      warehouseCode: l.warehouseCode ?? "",
      productName: l.productName,
      unitPrice: money(l.unitPrice),
      lineTotal: money(l.lineTotal),
      availability: {
        known: l.availability.known,
        available: BigInt(l.availability.available),
        stale: l.availability.stale,
        ...(l.availability.asOf ? { asOf: timestampFromDate(l.availability.asOf) } : {}),
        age: durationFromMs(l.availability.ageMs),
      },
    })),
  };
}
