import { isAppError } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import {
  assertFulfillmentCommand,
  FULFILLMENT_STATUSES,
  FULFILLMENT_TRANSITIONS,
  type FulfillmentCommand,
  requiredFulfillmentStatuses,
} from "../src/domain/fulfillment-order.ts";

describe("fulfillment order transitions", () => {
  it("verifies before anything is picked: verifying → open, or refused → cancelled", () => {
    expect(assertFulfillmentCommand("f1", "verifying", "verify")).toBe("open");
    expect(assertFulfillmentCommand("f1", "verifying", "refuse")).toBe("cancelled");
    expect(() => assertFulfillmentCommand("f1", "verifying", "start_picking")).toThrow(/needs it open/);
  });

  it("walks open → picking → picked → packed → shipped → delivered", () => {
    let status = assertFulfillmentCommand("f1", "open", "start_picking");
    expect(status).toBe("picking");
    status = assertFulfillmentCommand("f1", status, "finish_picking");
    status = assertFulfillmentCommand("f1", status, "pack");
    expect(status).toBe("packed");
    status = assertFulfillmentCommand("f1", status, "ship");
    expect(assertFulfillmentCommand("f1", status, "deliver")).toBe("delivered");
  });

  it("holds for QC from picked, and leaves QC to packed or back to picking", () => {
    expect(assertFulfillmentCommand("f1", "picked", "hold_for_qc")).toBe("qc_hold");
    expect(assertFulfillmentCommand("f1", "qc_hold", "pass_qc")).toBe("packed");
    expect(assertFulfillmentCommand("f1", "qc_hold", "repick_after_qc")).toBe("open");
    expect(assertFulfillmentCommand("f1", "qc_hold", "repack_after_qc")).toBe("picked");
  });

  it("cancels anything not yet shipped, and nothing shipped, delivered or cancelled", () => {
    for (const status of FULFILLMENT_STATUSES) {
      const allowed = !["shipped", "delivered", "cancelled"].includes(status);
      if (allowed) expect(assertFulfillmentCommand("f1", status, "cancel")).toBe("cancelled");
      else expect(() => assertFulfillmentCommand("f1", status, "cancel")).toThrow(/cancel needs it/);
    }
  });

  it("refuses every transition from a status it does not list, as FAILED_PRECONDITION naming both", () => {
    for (const command of Object.keys(FULFILLMENT_TRANSITIONS) as FulfillmentCommand[]) {
      for (const status of FULFILLMENT_STATUSES) {
        if (requiredFulfillmentStatuses(command).includes(status)) continue;
        try {
          assertFulfillmentCommand("f1", status, command);
          expect.unreachable(`${command} from ${status}`);
        } catch (err) {
          expect(isAppError(err) && err.kind).toBe("failed_precondition");
          expect((err as Error).message).toContain(`is ${status}; ${command}`);
        }
      }
    }
  });

  it("never ships twice: ship is allowed only from packed", () => {
    expect(requiredFulfillmentStatuses("ship")).toEqual(["packed"]);
    expect(() => assertFulfillmentCommand("f1", "shipped", "ship")).toThrow();
  });
});
