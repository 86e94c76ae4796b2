// The order's own status and the transitions each command may make. Every command checks its
// transition here and the repository repeats it as UPDATE ... WHERE status = ANY(<from>), so two
// racing commands (the storefront and a webhook completing one checkout, two cancels) cannot both win.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";

export const ORDER_STATUSES = [
  "pending",
  "awaiting_payment",
  "confirmed",
  "completed",
  "cancelled",
  "rejected",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set([
  "completed",
  "cancelled",
  "rejected",
]);

export type OrderCommand =
  // Stock held, payment pending (manual method, or outcome not yet known).
  | "await_payment"
  // Reservation confirmed (reserved -> committed) with the payment authorized or received.
  | "confirm"
  // Refused before confirmation, compensated: nothing held, nothing charged.
  | "reject"
  | "cancel"
  // Every line resolved (delivered, short, cancelled, returned).
  | "complete";

const ORDER_TRANSITIONS: Record<OrderCommand, { from: readonly OrderStatus[]; to: OrderStatus }> = {
  await_payment: { from: ["pending"], to: "awaiting_payment" },
  confirm: { from: ["pending", "awaiting_payment"], to: "confirmed" },
  reject: { from: ["pending", "awaiting_payment"], to: "rejected" },
  cancel: { from: ["pending", "awaiting_payment", "confirmed"], to: "cancelled" },
  complete: { from: ["confirmed"], to: "completed" },
};

export function requiredOrderStatuses(command: OrderCommand): readonly OrderStatus[] {
  return ORDER_TRANSITIONS[command].from;
}

export function orderStatusAfter(command: OrderCommand): OrderStatus {
  return ORDER_TRANSITIONS[command].to;
}

export function canApply(status: OrderStatus, command: OrderCommand): boolean {
  return ORDER_TRANSITIONS[command].from.includes(status);
}

export function assertOrderCommand(orderId: string, status: OrderStatus, command: OrderCommand): OrderStatus {
  if (!canApply(status, command)) {
    throw failedPrecondition(
      command === "cancel" ? ErrorReason.ORDER_NOT_CANCELLABLE : ErrorReason.INVALID_STATE_TRANSITION,
      `order ${orderId} is ${status}; ${command} needs it ${ORDER_TRANSITIONS[command].from.join(" or ")}`,
      { status, command },
    );
  }
  return ORDER_TRANSITIONS[command].to;
}

export type CancelDecision =
  // Go ahead: cancel these units.
  | { kind: "cancel" }
  // Cancelling twice acts once: the second answers with the order as it is.
  | { kind: "already_cancelled" };

// A customer (or ops) cancel: allowed while some unit has not shipped; refused when everything shipped
// or the order is finished; a second cancel is a no-op, not an error.
export function decideCancel(orderId: string, status: OrderStatus, openUnits: number): CancelDecision {
  if (status === "cancelled") return { kind: "already_cancelled" };
  assertOrderCommand(orderId, status, "cancel");
  if (openUnits === 0) {
    throw failedPrecondition(
      ErrorReason.ORDER_NOT_CANCELLABLE,
      `order ${orderId} has nothing left to cancel: every unit shipped or was resolved`,
      { status },
    );
  }
  return { kind: "cancel" };
}
