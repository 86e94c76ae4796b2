// OrderAdminService over gRPC (roles ops and admin): manual payments, stuck checkouts, refunds.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "@stockroom/errors";
import type { ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import type { OrderAdminService } from "@stockroom/proto/stockroom/order/v1/order_admin_service_pb.js";
import { AttentionReason, RefundReason } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import type { OrderAdminUseCases } from "../../app/build-use-cases.ts";
import { orderMessage } from "../../app/order-message.ts";
import { CURRENCY_PATTERN, money } from "../../domain/money.ts";
import { requestContextFrom } from "./order.handler.ts";
import * as validate from "./validate.ts";

const OPERATORS = ["ops", "admin"] as const;

export const ORDER_ADMIN_POLICY: ServicePolicy<typeof OrderAdminService> = {
  markPaymentReceived: OPERATORS,
  refundOrder: OPERATORS,
  listOrdersNeedingAttention: OPERATORS,
  retryCheckout: OPERATORS,
  abandonCheckout: OPERATORS,
};

const REASONS: Partial<Record<AttentionReason, string>> = {
  [AttentionReason.PAYMENT_OUTCOME_UNKNOWN]: "payment_outcome_unknown",
  [AttentionReason.COMPENSATION_FAILED]: "compensation_failed",
  [AttentionReason.DEPENDENCY_UNAVAILABLE]: "dependency_unavailable",
  [AttentionReason.STOCK_LOST_AFTER_PAYMENT]: "stock_lost_after_payment",
  [AttentionReason.UNEXPECTED_ERROR]: "unexpected_error",
  [AttentionReason.REFUND_FAILED]: "refund_failed",
  [AttentionReason.CAPTURE_FAILED]: "capture_failed",
  [AttentionReason.VOID_FAILED]: "void_failed",
  [AttentionReason.RELEASE_STOCK_FAILED]: "release_stock_failed",
};

const REFUND_REASONS: Partial<Record<RefundReason, string>> = {
  [RefundReason.CUSTOMER_REQUEST]: "customer_request",
  [RefundReason.RETURN]: "return",
  [RefundReason.SHORTFALL]: "shortfall",
  [RefundReason.CANCELLATION]: "cancellation",
  [RefundReason.GOODWILL]: "goodwill",
  [RefundReason.DUPLICATE]: "duplicate",
  [RefundReason.FRAUD]: "fraud",
  [RefundReason.OTHER]: "other",
};

function note(value: string, field: string): string {
  if (value.length > 500) throw invalidArgument(field, `${field} must be at most 500 characters`);
  return value;
}

export function createOrderAdminHandler(useCases: OrderAdminUseCases): ServiceImpl<typeof OrderAdminService> {
  return {
    async markPaymentReceived(request, ctx) {
      const amount = request.amount;
      if (!amount) throw invalidArgument("amount", "amount is required");
      if (!CURRENCY_PATTERN.test(amount.currency))
        throw invalidArgument("amount.currency", "amount.currency must be an ISO 4217 code");
      if (amount.amountMinor <= 0n || amount.amountMinor > 10_000_000_000_000n) {
        throw invalidArgument("amount.amount_minor", "amount.amount_minor must be positive");
      }
      if (request.paymentReference.trim() === "")
        throw invalidArgument("payment_reference", "payment_reference is required");
      const order = await useCases.markPaymentReceived(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          orderId: validate.uuid(request.orderId, "order_id"),
          amount: money(Number(amount.amountMinor), amount.currency),
          paymentReference: note(request.paymentReference, "payment_reference").slice(0, 200),
        },
        requestContextFrom(ctx),
      );
      return { order: orderMessage(order) };
    },
    async refundOrder(request, ctx) {
      const reason = REFUND_REASONS[request.reason];
      if (!reason) throw invalidArgument("reason", "reason is required");
      let amount: ReturnType<typeof money> | undefined;
      if (request.amount) {
        if (!CURRENCY_PATTERN.test(request.amount.currency)) {
          throw invalidArgument("amount.currency", "amount.currency must be an ISO 4217 code");
        }
        if (request.amount.amountMinor <= 0n || request.amount.amountMinor > 10_000_000_000_000n) {
          throw invalidArgument("amount.amount_minor", "amount.amount_minor must be positive");
        }
        amount = money(Number(request.amount.amountMinor), request.amount.currency);
      }
      const result = await useCases.refundOrder(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          orderId: validate.uuid(request.orderId, "order_id"),
          ...(amount ? { amount } : {}),
          reason,
          note: note(request.note, "note"),
          lines: request.lines.map((l, i) => ({
            lineNumber: validate.lineNumber(l.lineNumber, `lines[${i}].line_number`),
            quantity: validate.quantity(l.quantity, `lines[${i}].quantity`),
          })),
        },
        requestContextFrom(ctx),
      );
      const r = result.refund;
      return {
        order: orderMessage(result.order),
        refund: {
          refundId: r.refundId,
          amount: { amountMinor: BigInt(r.amountMinor), currency: r.currency },
          reason: request.reason,
          note: r.note,
          providerRefundId: r.providerRefundId ?? "",
          createdAt: timestampFromDate(r.createdAt),
        },
      };
    },
    async listOrdersNeedingAttention(request) {
      const reasons = request.reasons.map((r, i) => {
        const reason = REASONS[r];
        if (!reason) throw invalidArgument(`reasons[${i}]`, `reasons[${i}] is not an attention reason`);
        return reason;
      });
      const after = request.pageToken === "" ? undefined : validate.pageToken(request.pageToken);
      const page = await useCases.listOrdersNeedingAttention({
        reasons,
        pageSize: validate.pageSize(request.pageSize),
        ...(after ? { afterCheckoutId: after } : {}),
      });
      return {
        orders: page.orders.map(orderMessage),
        nextPageToken: page.nextAfter ? validate.encodePageToken(page.nextAfter) : "",
      };
    },
    async retryCheckout(request, ctx) {
      const order = await useCases.retryCheckout(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          orderId: validate.uuid(request.orderId, "order_id"),
          note: note(request.note, "note"),
        },
        requestContextFrom(ctx),
      );
      return { order: orderMessage(order) };
    },
    async abandonCheckout(request, ctx) {
      const order = await useCases.abandonCheckout(
        {
          idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
          orderId: validate.uuid(request.orderId, "order_id"),
          note: note(request.reason, "reason"),
        },
        requestContextFrom(ctx),
      );
      return { order: orderMessage(order) };
    },
  };
}
