// The manual provider (bank transfer, cash on delivery): pending until ops marks it received, ids
// derived from the idempotency key so repeats answer the same, and no webhooks accepted.
import { isAppError } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import { money } from "../src/domain/money.ts";
import { createManualPaymentProvider } from "../src/transport/payments/manual-payment.provider.ts";

const provider = createManualPaymentProvider();
const request = {
  idempotencyKey: "chk-1:authorize",
  amount: money(10_000, "EUR"),
  method: { type: "bank_transfer" as const, token: "" },
  customerId: "c-1",
  reference: "o-1",
};

describe("manual payment provider", () => {
  it("supports only bank transfer and cash on delivery", () => {
    expect(provider.supports("bank_transfer")).toBe(true);
    expect(provider.supports("cash_on_delivery")).toBe(true);
    expect(provider.supports("card")).toBe(false);
    expect(provider.supports("e_wallet")).toBe(false);
  });

  it("answers an authorization pending, with the same id for the same key and another for another key", async () => {
    const first = await provider.authorize(request);
    expect(first.status).toBe("pending");
    expect(await provider.authorize(request)).toEqual(first);
    const other = await provider.authorize({ ...request, idempotencyKey: "chk-2:authorize" });
    expect(other.providerPaymentId).not.toBe(first.providerPaymentId);
    expect(await provider.retrieve({ authorizeIdempotencyKey: request.idempotencyKey })).toEqual({
      status: "pending",
      providerPaymentId: first.providerPaymentId,
    });
  });

  it("records capture, void and refunds as done", async () => {
    const id = (await provider.authorize(request)).providerPaymentId as string;
    expect(
      await provider.capture({ idempotencyKey: "k", providerPaymentId: id, amount: money(10_000, "EUR") }),
    ).toEqual({ status: "succeeded", captured: money(10_000, "EUR") });
    expect(await provider.void({ idempotencyKey: "k2", providerPaymentId: id })).toEqual({
      status: "succeeded",
    });
    const refund = await provider.refund({
      idempotencyKey: "k3",
      providerPaymentId: id,
      amount: money(100, "EUR"),
      reason: "",
    });
    expect(refund).toMatchObject({ status: "succeeded", refunded: money(100, "EUR") });
    expect(
      (await provider.refund({ idempotencyKey: "k3", providerPaymentId: id, reason: "" })).providerRefundId,
    ).toBe(refund.providerRefundId);
  });

  it("accepts no webhook", () => {
    let kind: string | undefined;
    try {
      provider.verifyWebhook({}, "{}");
    } catch (err) {
      kind = isAppError(err) ? err.kind : "other";
    }
    expect(kind).toBe("unauthenticated");
  });
});
