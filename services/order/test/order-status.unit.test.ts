// The order status table, exhaustively: every (status, command) pair is allowed or refused exactly as
// written here, and cancelling twice acts once.
import { ErrorReason, isAppError } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import {
  assertOrderCommand,
  canApply,
  decideCancel,
  ORDER_STATUSES,
  type OrderCommand,
  type OrderStatus,
  orderStatusAfter,
} from "../src/domain/order-status.ts";

const EXPECTED: Record<OrderStatus, Partial<Record<OrderCommand, OrderStatus>>> = {
  pending: {
    await_payment: "awaiting_payment",
    confirm: "confirmed",
    reject: "rejected",
    cancel: "cancelled",
  },
  awaiting_payment: { confirm: "confirmed", reject: "rejected", cancel: "cancelled" },
  confirmed: { cancel: "cancelled", complete: "completed" },
  completed: {},
  cancelled: {},
  rejected: {},
};
const COMMANDS: OrderCommand[] = ["await_payment", "confirm", "reject", "cancel", "complete"];

describe("order status transitions", () => {
  for (const status of ORDER_STATUSES) {
    for (const command of COMMANDS) {
      const target = EXPECTED[status][command];
      it(`${status} --${command}--> ${target ?? "refused"}`, () => {
        expect(canApply(status, command)).toBe(target !== undefined);
        if (target) {
          expect(assertOrderCommand("o-1", status, command)).toBe(target);
          expect(orderStatusAfter(command)).toBe(target);
        } else {
          let caught: unknown;
          try {
            assertOrderCommand("o-1", status, command);
          } catch (err) {
            caught = err;
          }
          expect(isAppError(caught) && caught.kind).toBe("failed_precondition");
        }
      });
    }
  }

  it("a cancel of a cancelled order is a no-op; of a completed one refused; with nothing open refused", () => {
    expect(decideCancel("o", "cancelled", 0)).toEqual({ kind: "already_cancelled" });
    expect(decideCancel("o", "confirmed", 2)).toEqual({ kind: "cancel" });
    expect(decideCancel("o", "awaiting_payment", 1)).toEqual({ kind: "cancel" });
    for (const [status, open] of [
      ["completed", 0],
      ["rejected", 1],
      ["confirmed", 0],
    ] as const) {
      let reason: unknown;
      try {
        decideCancel("o", status, open);
      } catch (err) {
        reason = isAppError(err) ? err.reason : err;
      }
      expect(reason).toBe(ErrorReason.ORDER_NOT_CANCELLABLE);
    }
  });
});
