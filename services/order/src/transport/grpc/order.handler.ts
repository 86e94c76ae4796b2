// OrderService over gRPC: each RPC validates its request, calls one use case, encodes. Carts and
// checkout are the storefront's; orders are also readable by ops; VerifyPurchase is for services.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "@stockroom/errors";
import type { CallContext, ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import {
  CheckoutStatus as ProtoCheckoutStatus,
  OrderStatus as ProtoOrderStatus,
} from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import type { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import type { OrderUseCases } from "../../app/build-use-cases.ts";
import { CHECKOUT_STATUS_TO_PROTO, ORDER_STATUS_TO_PROTO, orderMessage } from "../../app/order-message.ts";
import type { RequestContext } from "../../app/use-case-deps.ts";
import { encodeCart } from "./cart-mapping.ts";
import { withShortfallDetail } from "./checkout-shortfall-detail.ts";
import * as validate from "./validate.ts";

const STOREFRONT = ["storefront"] as const;
const ORDER_READERS = ["storefront", "ops", "admin"] as const;
const SERVICES = ["service"] as const;

export const ORDER_POLICY: ServicePolicy<typeof OrderService> = {
  createCart: STOREFRONT,
  getCart: STOREFRONT,
  addCartLine: STOREFRONT,
  updateCartLine: STOREFRONT,
  removeCartLine: STOREFRONT,
  setShippingDestination: STOREFRONT,
  setPaymentMethod: STOREFRONT,
  startCheckout: STOREFRONT,
  acceptPartialQuantities: STOREFRONT,
  getOrder: ORDER_READERS,
  listOrders: ORDER_READERS,
  cancelOrder: ["storefront", "ops", "admin"],
  verifyPurchase: SERVICES,
};

export function requestContextFrom(ctx: CallContext): RequestContext {
  const subject = ctx.principal?.subject ?? "anonymous";
  return {
    producer: "order",
    actor: subject,
    principal: subject,
    correlationId: ctx.requestId,
    traceId: ctx.traceId,
  };
}

export function createOrderHandler(useCases: OrderUseCases): ServiceImpl<typeof OrderService> {
  return {
    async createCart(request, ctx) {
      const cart = await useCases.createCart(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          customerId: validate.customerId(request.customerId),
          currency: validate.optionalCurrency(request.currency),
        },
        requestContextFrom(ctx),
      );
      return { cart: encodeCart(cart) };
    },
    async getCart(request) {
      return { cart: encodeCart(await useCases.getCart(validate.uuid(request.cartId, "cart_id"))) };
    },
    async addCartLine(request, ctx) {
      const cart = await useCases.addCartLine(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          cartId: validate.uuid(request.cartId, "cart_id"),
          sku: validate.sku(request.sku),
          quantity: validate.quantity(request.quantity),
          warehouseCode: validate.optionalWarehouseCode(request.warehouseCode),
          expectedVersion: validate.expectedVersion(request.expectedVersion),
        },
        requestContextFrom(ctx),
      );
      return { cart: encodeCart(cart) };
    },
    async updateCartLine(request, ctx) {
      const cart = await useCases.updateCartLine(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          cartId: validate.uuid(request.cartId, "cart_id"),
          lineNumber: validate.lineNumber(request.lineNumber),
          quantity: validate.quantity(request.quantity),
          expectedVersion: validate.expectedVersion(request.expectedVersion),
        },
        requestContextFrom(ctx),
      );
      return { cart: encodeCart(cart) };
    },
    async removeCartLine(request, ctx) {
      const cart = await useCases.removeCartLine(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          cartId: validate.uuid(request.cartId, "cart_id"),
          lineNumber: validate.lineNumber(request.lineNumber),
          expectedVersion: validate.expectedVersion(request.expectedVersion),
        },
        requestContextFrom(ctx),
      );
      return { cart: encodeCart(cart) };
    },
    async setShippingDestination(request, ctx) {
      const cart = await useCases.setShippingDestination(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          cartId: validate.uuid(request.cartId, "cart_id"),
          destination: validate.shippingDestination(request.shippingDestination),
          expectedVersion: validate.expectedVersion(request.expectedVersion),
        },
        requestContextFrom(ctx),
      );
      return { cart: encodeCart(cart) };
    },
    async setPaymentMethod(request, ctx) {
      const { method, token } = validate.paymentMethod(request.paymentMethod);
      const cart = await useCases.setPaymentMethod(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          cartId: validate.uuid(request.cartId, "cart_id"),
          method,
          token,
          expectedVersion: validate.expectedVersion(request.expectedVersion),
        },
        requestContextFrom(ctx),
      );
      return { cart: encodeCart(cart) };
    },
    async startCheckout(request, ctx) {
      const started = await useCases
        .startCheckout(
          {
            idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
            cartId: validate.uuid(request.cartId, "cart_id"),
            expectedCartVersion: validate.expectedVersion(
              request.expectedCartVersion,
              "expected_cart_version",
            ),
          },
          requestContextFrom(ctx),
        )
        .catch((err: unknown) => {
          throw withShortfallDetail(err);
        });
      return {
        orderId: started.orderId,
        status: ORDER_STATUS_TO_PROTO[started.status] ?? ProtoOrderStatus.UNSPECIFIED,
        checkoutStatus: CHECKOUT_STATUS_TO_PROTO[started.checkoutStatus] ?? ProtoCheckoutStatus.UNSPECIFIED,
      };
    },
    async acceptPartialQuantities(request, ctx) {
      const cart = await useCases.acceptPartialQuantities(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          cartId: validate.uuid(request.cartId, "cart_id"),
          lines: request.lines.map((l, i) => ({
            lineNumber: validate.lineNumber(l.lineNumber, `lines[${i}].line_number`),
            quantity: l.quantity,
          })),
          expectedVersion: validate.expectedVersion(request.expectedVersion),
        },
        requestContextFrom(ctx),
      );
      return { cart: encodeCart(cart) };
    },
    async getOrder(request) {
      return { order: orderMessage(await useCases.getOrder(validate.uuid(request.orderId, "order_id"))) };
    },
    async listOrders(request) {
      const afterOrderId = validate.pageToken(request.pageToken);
      const page = await useCases.listOrders({
        customerId: validate.customerId(request.customerId),
        statuses: validate.orderStatuses(request.statuses),
        pageSize: validate.pageSize(request.pageSize),
        ...(afterOrderId ? { afterOrderId } : {}),
      });
      return {
        orders: page.orders.map(orderMessage),
        nextPageToken: page.nextAfter ? validate.encodePageToken(page.nextAfter) : "",
      };
    },
    async cancelOrder(request, ctx) {
      const reason = request.reason;
      if (reason.length > 500) throw invalidArgument("reason", "reason must be at most 500 characters");
      const order = await useCases.cancelOrder(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          orderId: validate.uuid(request.orderId, "order_id"),
          reason,
          by: ctx.principal?.roles.includes("storefront") ? "customer" : "ops",
        },
        requestContextFrom(ctx),
      );
      return { order: orderMessage(order) };
    },
    async verifyPurchase(request) {
      const proof = await useCases.verifyPurchase({
        customerId: validate.customerId(request.customerId),
        sku: validate.sku(request.sku),
      });
      return {
        verified: proof.verified,
        lines: proof.lines.map((l) => ({
          orderId: l.orderId,
          lineNumber: l.lineNumber,
          sku: l.sku,
          deliveredQuantity: l.delivered,
          returnedQuantity: l.returned,
          ...(l.deliveredAt ? { deliveredAt: timestampFromDate(l.deliveredAt) } : {}),
        })),
      };
    },
  };
}
