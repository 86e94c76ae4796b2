// What the order commands accept: decimal amounts in the order's currency (never more decimals than it
// has), refund lines as line:quantity, and the order service's address from flag, env, file or default.
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/cli-config.ts";
import { decimalAmount, refundLine, toMoney } from "../src/commands/orders.command.ts";
import { CliError } from "../src/exit-codes.ts";

describe("order amounts", () => {
  it("turns a decimal into minor units of the currency", () => {
    expect(toMoney("12.5", "EUR")).toEqual({ amountMinor: 1250n, currency: "EUR" });
    expect(toMoney("20", "EUR")).toEqual({ amountMinor: 2000n, currency: "EUR" });
    expect(toMoney("0.01", "USD")).toEqual({ amountMinor: 1n, currency: "USD" });
    expect(toMoney("1500", "JPY")).toEqual({ amountMinor: 1500n, currency: "JPY" });
    expect(toMoney("1.234", "KWD")).toEqual({ amountMinor: 1234n, currency: "KWD" });
  });

  it("refuses more decimals than the currency has, and what is not an amount", () => {
    expect(() => toMoney("1.005", "EUR")).toThrow(CliError);
    expect(() => toMoney("1.5", "JPY")).toThrow("JPY has 0 decimal places");
    for (const bad of ["", "-1", "1,50", "1.", "abc", "1e3"]) {
      expect(() => decimalAmount(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(decimalAmount(" 7.25 ")).toBe("7.25");
  });

  it("reads refund lines as line:quantity", () => {
    expect(refundLine("1:2")).toEqual({ lineNumber: 1, quantity: 2 });
    for (const bad of ["1", "0:1", "1:0", "a:b", "1:2:3"])
      expect(() => refundLine(bad), bad).toThrow(InvalidArgumentError);
  });
});

describe("the order service's address", () => {
  it("comes from the flag, then STOCKROOM_ORDER_ADDRESS, then ORDER_GRPC_PORT's default", () => {
    const env = { XDG_CONFIG_HOME: "/nonexistent" };
    expect(resolveConfig({}, env).orderAddress).toBe("127.0.0.1:50053");
    expect(resolveConfig({}, { ...env, ORDER_GRPC_PORT: "50153" }).orderAddress).toBe("127.0.0.1:50153");
    expect(resolveConfig({}, { ...env, STOCKROOM_ORDER_ADDRESS: "order:1" }).orderAddress).toBe("order:1");
    expect(
      resolveConfig({ orderAddress: "flag:2" }, { ...env, STOCKROOM_ORDER_ADDRESS: "order:1" }).orderAddress,
    ).toBe("flag:2");
  });
});
