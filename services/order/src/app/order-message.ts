// An order (with its payment and checkout) as the proto Order message: the gRPC answers and the
// order.order.v1 events' payloads are built from it.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import {
  AttentionReason,
  CancelledBy,
  CheckoutStatus,
  CheckoutStep,
  FulfillmentStatus,
  type Order,
  OrderSchema,
  OrderStatus,
  PaymentStatus,
} from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import type { OrderRecord } from "../data/order.repo.ts";
import type { PaymentRecord } from "../data/payment.repo.ts";
import type { SagaRecord } from "../data/saga.repo.ts";
import {
  AUTHORIZE_PAYMENT,
  CONFIRM_ORDER,
  CONFIRM_RESERVATION,
  RESERVE_STOCK,
  type ReserveStockOutput,
  VALIDATE_CART,
} from "../domain/checkout-saga.ts";

export const ORDER_STATUS_TO_PROTO: Record<string, OrderStatus> = {
  pending: OrderStatus.PENDING,
  awaiting_payment: OrderStatus.AWAITING_PAYMENT,
  confirmed: OrderStatus.CONFIRMED,
  completed: OrderStatus.COMPLETED,
  cancelled: OrderStatus.CANCELLED,
  rejected: OrderStatus.REJECTED,
};

export const PAYMENT_STATUS_TO_PROTO: Record<string, PaymentStatus> = {
  pending: PaymentStatus.PENDING,
  authorized: PaymentStatus.AUTHORIZED,
  captured: PaymentStatus.CAPTURED,
  partially_refunded: PaymentStatus.PARTIALLY_REFUNDED,
  refunded: PaymentStatus.REFUNDED,
  voided: PaymentStatus.VOIDED,
  declined: PaymentStatus.DECLINED,
};

const FULFILLMENT_TO_PROTO: Record<string, FulfillmentStatus> = {
  unfulfilled: FulfillmentStatus.UNFULFILLED,
  partially_shipped: FulfillmentStatus.PARTIALLY_SHIPPED,
  shipped: FulfillmentStatus.SHIPPED,
  partially_delivered: FulfillmentStatus.PARTIALLY_DELIVERED,
  delivered: FulfillmentStatus.DELIVERED,
  partially_returned: FulfillmentStatus.PARTIALLY_RETURNED,
  returned: FulfillmentStatus.RETURNED,
};

export const CHECKOUT_STATUS_TO_PROTO: Record<string, CheckoutStatus> = {
  running: CheckoutStatus.RUNNING,
  awaiting_payment: CheckoutStatus.AWAITING_PAYMENT,
  compensating: CheckoutStatus.COMPENSATING,
  confirmed: CheckoutStatus.CONFIRMED,
  failed: CheckoutStatus.FAILED,
  needs_attention: CheckoutStatus.NEEDS_ATTENTION,
  abandoned: CheckoutStatus.ABANDONED,
};

const STEP_TO_PROTO: Record<string, CheckoutStep> = {
  [VALIDATE_CART]: CheckoutStep.VALIDATE,
  [RESERVE_STOCK]: CheckoutStep.RESERVE,
  [AUTHORIZE_PAYMENT]: CheckoutStep.AUTHORIZE,
  [CONFIRM_RESERVATION]: CheckoutStep.CONFIRM_RESERVATION,
  [CONFIRM_ORDER]: CheckoutStep.CONFIRM_ORDER,
};

export const ATTENTION_TO_PROTO: Record<string, AttentionReason> = {
  payment_outcome_unknown: AttentionReason.PAYMENT_OUTCOME_UNKNOWN,
  compensation_failed: AttentionReason.COMPENSATION_FAILED,
  dependency_unavailable: AttentionReason.DEPENDENCY_UNAVAILABLE,
  stock_lost_after_payment: AttentionReason.STOCK_LOST_AFTER_PAYMENT,
  unexpected_error: AttentionReason.UNEXPECTED_ERROR,
  refund_failed: AttentionReason.REFUND_FAILED,
  capture_failed: AttentionReason.CAPTURE_FAILED,
  void_failed: AttentionReason.VOID_FAILED,
  release_stock_failed: AttentionReason.RELEASE_STOCK_FAILED,
};

export const PAYMENT_METHOD_TO_PROTO: Record<string, PaymentMethodType> = {
  card: PaymentMethodType.CARD,
  e_wallet: PaymentMethodType.E_WALLET,
  bank_transfer: PaymentMethodType.BANK_TRANSFER,
  cash_on_delivery: PaymentMethodType.CASH_ON_DELIVERY,
};

const CANCELLED_BY_TO_PROTO: Record<string, CancelledBy> = {
  customer: CancelledBy.CUSTOMER,
  ops: CancelledBy.OPS,
  system: CancelledBy.SYSTEM,
};

export interface OrderAggregate {
  order: OrderRecord;
  payment: PaymentRecord | undefined;
  saga: SagaRecord | undefined;
}

interface StoredShortfall {
  lineNumber: number;
  sku: string;
  warehouseCode: string | null;
  requested: number;
  available: number;
}

export function orderMessage({ order, payment, saga }: OrderAggregate): Order {
  const m = (amountMinor: number) => ({ amountMinor: BigInt(amountMinor), currency: order.currency });
  const reservation = saga?.stepOutputs[RESERVE_STOCK] as ReserveStockOutput | undefined;
  return create(OrderSchema, {
    orderId: order.orderId,
    checkoutId: order.checkoutId,
    cartId: order.cartId,
    customerId: order.customerId,
    status: ORDER_STATUS_TO_PROTO[order.status] ?? OrderStatus.UNSPECIFIED,
    paymentStatus: PAYMENT_STATUS_TO_PROTO[order.paymentStatus] ?? PaymentStatus.UNSPECIFIED,
    fulfillmentStatus: FULFILLMENT_TO_PROTO[order.fulfillmentStatus] ?? FulfillmentStatus.UNSPECIFIED,
    currency: order.currency,
    subtotal: m(order.subtotalMinor),
    total: m(order.totalMinor),
    shippingDestination: order.shippingDestination as never,
    paymentMethod: PAYMENT_METHOD_TO_PROTO[order.paymentMethod] ?? PaymentMethodType.UNSPECIFIED,
    lines: order.lines.map((l) => ({
      lineNumber: l.lineNumber,
      sku: l.sku,
      productName: l.productName,
      unitPrice: m(l.unitPriceMinor),
      lineTotal: m(l.unitPriceMinor * l.ordered),
      requestedWarehouseCode: l.requestedWarehouseCode ?? "",
      quantities: {
        ordered: l.ordered,
        allocated: l.allocated,
        shipped: l.shipped,
        delivered: l.delivered,
        short: l.short,
        returned: l.returned,
        cancelled: l.cancelled,
      },
      allocations: l.allocations,
      fulfillmentStatus: FULFILLMENT_TO_PROTO[l.fulfillmentStatus] ?? FulfillmentStatus.UNSPECIFIED,
    })),
    ...(payment
      ? {
          payment: {
            paymentId: payment.paymentId,
            provider: payment.provider,
            providerPaymentId: payment.providerPaymentId ?? "",
            method: PAYMENT_METHOD_TO_PROTO[payment.method] ?? PaymentMethodType.UNSPECIFIED,
            status: PAYMENT_STATUS_TO_PROTO[payment.status] ?? PaymentStatus.UNSPECIFIED,
            amount: m(payment.amountMinor),
            authorized: m(payment.authorizedMinor),
            captured: m(payment.capturedMinor),
            refunded: m(payment.refundedMinor),
            ...(payment.payBy ? { payBy: timestampFromDate(payment.payBy) } : {}),
            updatedAt: timestampFromDate(payment.updatedAt),
          },
        }
      : {}),
    ...(saga
      ? {
          checkout: {
            checkoutId: saga.checkoutId,
            status: CHECKOUT_STATUS_TO_PROTO[saga.status] ?? CheckoutStatus.UNSPECIFIED,
            step: STEP_TO_PROTO[saga.step] ?? CheckoutStep.UNSPECIFIED,
            attempts: saga.attempts,
            ...(saga.nextAttemptAt ? { nextAttemptAt: timestampFromDate(saga.nextAttemptAt) } : {}),
            // The saga's own, else one from after checkout (a refund or call that kept failing).
            attentionReason:
              ATTENTION_TO_PROTO[saga.attentionReason ?? order.attentionReason ?? ""] ??
              AttentionReason.UNSPECIFIED,
            lastError: saga.lastError ?? "",
            reservationId: reservation?.reservationId ?? "",
            startedAt: timestampFromDate(saga.startedAt),
            updatedAt: timestampFromDate(saga.updatedAt),
          },
        }
      : {}),
    shortfall: (order.shortfall as StoredShortfall[]).map((s) => ({
      lineNumber: s.lineNumber,
      sku: s.sku,
      warehouseCode: s.warehouseCode ?? "",
      requested: s.requested,
      available: BigInt(s.available),
    })),
    cancelledBy: order.cancelledBy ? CANCELLED_BY_TO_PROTO[order.cancelledBy] : CancelledBy.UNSPECIFIED,
    cancelReason: order.cancelReason ?? "",
    version: BigInt(order.version),
    createdAt: timestampFromDate(order.createdAt),
    ...(order.confirmedAt ? { confirmedAt: timestampFromDate(order.confirmedAt) } : {}),
    ...(order.cancelledAt ? { cancelledAt: timestampFromDate(order.cancelledAt) } : {}),
    updatedAt: timestampFromDate(order.updatedAt),
  });
}
