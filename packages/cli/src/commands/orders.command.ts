// stockroom orders attention|get|retry|abandon|refund|mark-paid: the order service's ops tasks, through
// its OrderAdminService (and OrderService's GetOrder). Amounts are given in the order's currency as
// decimals ("12.50"); the command reads the order first to learn its currency and minor units.
import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Money } from "@stockroom/proto/stockroom/common/v1/money_pb.js";
import {
  AttentionReason,
  CheckoutStatus,
  CheckoutStep,
  FulfillmentStatus,
  type Order,
  OrderSchema,
  OrderStatus,
  PaymentStatus,
  RefundReason,
} from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { CliContext } from "../cli-context.ts";
import { usageError } from "../exit-codes.ts";
import { idempotencyKeyOf, idempotencyKeyOption } from "../idempotency-key-option.ts";
import { oneOf } from "../option-parsers.ts";
import { printJson, printLine, printTable } from "../output.ts";
import type { RunAction } from "../program.ts";

const enumName = (e: Record<number, string>, value: number, prefix: string) =>
  (e[value] ?? String(value)).replace(prefix, "").toLowerCase();

const ATTENTION_REASONS = [
  "payment_outcome_unknown",
  "compensation_failed",
  "dependency_unavailable",
  "stock_lost_after_payment",
  "unexpected_error",
] as const;

const REFUND_REASONS = [
  "customer_request",
  "return",
  "shortfall",
  "cancellation",
  "goodwill",
  "duplicate",
  "fraud",
  "other",
] as const;

function attentionReasonValue(name: (typeof ATTENTION_REASONS)[number]): AttentionReason {
  return AttentionReason[name.toUpperCase() as keyof typeof AttentionReason];
}

function refundReasonValue(name: (typeof REFUND_REASONS)[number]): RefundReason {
  return RefundReason[name.toUpperCase() as keyof typeof RefundReason];
}

function collect<T>(parse: (raw: string) => T) {
  return (raw: string, previous: T[] = []): T[] => [...previous, parse(raw)];
}

/** A decimal amount such as 12.50 (at most 6 decimals; the currency's own are checked later). */
export function decimalAmount(raw: string): string {
  if (!/^\d+(\.\d{1,6})?$/.test(raw.trim())) {
    throw new InvalidArgumentError(`"${raw}" is not an amount (e.g. 12.50).`);
  }
  return raw.trim();
}

/** "LINE:QUANTITY", as in 1:2 (two units of line 1). */
export function refundLine(raw: string): { lineNumber: number; quantity: number } {
  const match = /^(\d+):(\d+)$/.exec(raw.trim());
  const lineNumber = Number(match?.[1]);
  const quantity = Number(match?.[2]);
  if (!match || lineNumber < 1 || quantity < 1) {
    throw new InvalidArgumentError(`"${raw}" is not line:quantity (e.g. 1:2).`);
  }
  return { lineNumber, quantity };
}

function minorDigits(currency: string): number {
  return (
    new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

/** "12.50" in EUR → 1250 minor units; refused when it has more decimals than the currency has. */
export function toMoney(amount: string, currency: string): { amountMinor: bigint; currency: string } {
  const digits = minorDigits(currency);
  const [whole = "0", fraction = ""] = amount.split(".");
  if (fraction.length > digits) {
    throw usageError(`--amount ${amount}: ${currency} has ${digits} decimal places`);
  }
  return { amountMinor: BigInt(`${whole}${fraction.padEnd(digits, "0")}`), currency };
}

function formatMoney(money: Money | undefined): string {
  if (!money) return "";
  const digits = minorDigits(money.currency);
  const sign = money.amountMinor < 0n ? "-" : "";
  const text = (money.amountMinor < 0n ? -money.amountMinor : money.amountMinor)
    .toString()
    .padStart(digits + 1, "0");
  const whole = text.slice(0, text.length - digits);
  return `${sign}${whole}${digits > 0 ? `.${text.slice(text.length - digits)}` : ""} ${money.currency}`;
}

const when = (t: Parameters<typeof timestampDate>[0] | undefined) =>
  t ? timestampDate(t).toISOString() : "";

async function getOrder(ctx: CliContext, orderId: string): Promise<Order> {
  const { order } = await ctx.order().getOrder({ orderId });
  if (!order) throw usageError(`the order service answered no order for ${orderId}`);
  return order;
}

function printOrderResult(
  ctx: CliContext,
  order: Order | undefined,
  extra: Record<string, unknown> = {},
): void {
  if (!order) throw usageError("the order service answered no order");
  if (ctx.config.json) {
    printJson({ order: toJson(OrderSchema, order), ...extra });
    return;
  }
  printOrder(order);
}

export function printOrder(order: Order): void {
  const checkout = order.checkout;
  printTable(
    ["field", "value"],
    [
      ["order", order.orderId],
      ["status", enumName(OrderStatus, order.status, "ORDER_STATUS_")],
      ["payment", enumName(PaymentStatus, order.paymentStatus, "PAYMENT_STATUS_")],
      ["fulfillment", enumName(FulfillmentStatus, order.fulfillmentStatus, "FULFILLMENT_STATUS_")],
      ["customer", order.customerId],
      ["total", formatMoney(order.total)],
      ["captured", formatMoney(order.payment?.captured)],
      ["refunded", formatMoney(order.payment?.refunded)],
      ["checkout", checkout ? enumName(CheckoutStatus, checkout.status, "CHECKOUT_STATUS_") : ""],
      ["checkout step", checkout ? enumName(CheckoutStep, checkout.step, "CHECKOUT_STEP_") : ""],
      ["attempts", checkout?.attempts ?? 0],
      [
        "attention",
        checkout?.attentionReason
          ? enumName(AttentionReason, checkout.attentionReason, "ATTENTION_REASON_")
          : "",
      ],
      ["last error", checkout?.lastError ?? ""],
      ["cancel reason", order.cancelReason],
      ["created at", when(order.createdAt)],
      ["updated at", when(order.updatedAt)],
    ],
  );
  printTable(
    ["line", "sku", "ordered", "allocated", "shipped", "cancelled", "short", "unit price", "line total"],
    order.lines.map((l) => [
      l.lineNumber,
      l.sku,
      l.quantities?.ordered ?? 0,
      l.quantities?.allocated ?? 0,
      l.quantities?.shipped ?? 0,
      l.quantities?.cancelled ?? 0,
      l.quantities?.short ?? 0,
      formatMoney(l.unitPrice),
      formatMoney(l.lineTotal),
    ]),
    "no lines",
  );
}

// Oldest first, following next_page_token to the last page.
async function ordersNeedingAttention(ctx: CliContext, reasons: AttentionReason[]): Promise<Order[]> {
  const found: Order[] = [];
  let pageToken = "";
  do {
    const page = await ctx.orderAdmin().listOrdersNeedingAttention({ reasons, pageSize: 100, pageToken });
    found.push(...page.orders);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return found;
}

export function registerOrderCommands(program: Command, run: RunAction): void {
  const orders = program
    .command("orders")
    .description("orders: stuck checkouts, refunds, manual payments (ops)");

  orders
    .command("attention")
    .description("checkouts waiting for ops (needs_attention and other stuck states), oldest first")
    .option(
      "--reason <reason>",
      `only this reason (repeatable): ${ATTENTION_REASONS.join(", ")}`,
      collect(oneOf(ATTENTION_REASONS)),
    )
    .action(
      run(async (ctx, command) => {
        const o = command.opts<{ reason?: (typeof ATTENTION_REASONS)[number][] }>();
        const found = await ordersNeedingAttention(ctx, (o.reason ?? []).map(attentionReasonValue));
        if (ctx.config.json) {
          printJson({ orders: found.map((order) => toJson(OrderSchema, order)) });
          return;
        }
        printTable(
          ["order", "status", "checkout", "step", "attempts", "reason", "last error", "updated at"],
          found.map((order) => [
            order.orderId,
            enumName(OrderStatus, order.status, "ORDER_STATUS_"),
            enumName(CheckoutStatus, order.checkout?.status ?? 0, "CHECKOUT_STATUS_"),
            enumName(CheckoutStep, order.checkout?.step ?? 0, "CHECKOUT_STEP_"),
            order.checkout?.attempts ?? 0,
            enumName(AttentionReason, order.checkout?.attentionReason ?? 0, "ATTENTION_REASON_"),
            order.checkout?.lastError ?? "",
            when(order.checkout?.updatedAt ?? order.updatedAt),
          ]),
          "no orders need attention",
        );
      }),
    );

  orders
    .command("get")
    .description("one order: status, payment, checkout and lines")
    .argument("<order-id>", "the order's id (a UUID)")
    .action(
      run(async (ctx, command) => {
        printOrderResult(ctx, await getOrder(ctx, command.args[0] ?? ""));
      }),
    );

  orders
    .command("retry")
    .description("put a needs_attention checkout back to running from where it stopped (attempts reset)")
    .argument("<order-id>", "the order's id")
    .option("--note <text>", "why, kept with the order", "")
    .addOption(idempotencyKeyOption("retry"))
    .action(
      run(async (ctx, command) => {
        const { order } = await ctx.orderAdmin().retryCheckout({
          idempotencyKey: idempotencyKeyOf(command, "retry"),
          orderId: command.args[0] ?? "",
          note: command.opts<{ note: string }>().note,
        });
        printOrderResult(ctx, order);
      }),
    );

  orders
    .command("abandon")
    .description("give up on a stuck checkout: release its stock, void or refund, cancel the order")
    .argument("<order-id>", "the order's id")
    .requiredOption("--reason <text>", "why, kept with the order")
    .addOption(idempotencyKeyOption("abandon"))
    .action(
      run(async (ctx, command) => {
        const { order } = await ctx.orderAdmin().abandonCheckout({
          idempotencyKey: idempotencyKeyOf(command, "abandon"),
          orderId: command.args[0] ?? "",
          reason: command.opts<{ reason: string }>().reason,
        });
        printOrderResult(ctx, order);
      }),
    );

  orders
    .command("refund")
    .description("refund captured money: all that is left (no --amount) or part of it")
    .argument("<order-id>", "the order's id")
    .requiredOption("--reason <reason>", REFUND_REASONS.join(", "), oneOf(REFUND_REASONS))
    .option(
      "--amount <decimal>",
      "in the order's currency, e.g. 12.50 (default: everything not refunded)",
      decimalAmount,
    )
    .option("--note <text>", "kept with the refund", "")
    .option(
      "--line <line:quantity>",
      "units the refund is for, recorded with it (repeatable)",
      collect(refundLine),
    )
    .addOption(idempotencyKeyOption("refund"))
    .action(
      run(async (ctx, command) => {
        const orderId = command.args[0] ?? "";
        const o = command.opts<{
          reason: (typeof REFUND_REASONS)[number];
          amount?: string;
          note: string;
          line?: { lineNumber: number; quantity: number }[];
        }>();
        const amount =
          o.amount === undefined ? undefined : toMoney(o.amount, (await getOrder(ctx, orderId)).currency);
        const { order, refund } = await ctx.orderAdmin().refundOrder({
          idempotencyKey: idempotencyKeyOf(command, "refund"),
          orderId,
          amount,
          reason: refundReasonValue(o.reason),
          note: o.note,
          lines: o.line ?? [],
        });
        if (!ctx.config.json)
          printLine(`refunded ${formatMoney(refund?.amount)} (refund ${refund?.refundId ?? ""})`);
        printOrderResult(ctx, order, {
          refund: refund && { refundId: refund.refundId, amountMinor: refund.amount?.amountMinor },
        });
      }),
    );

  orders
    .command("mark-paid")
    .description("record a bank transfer or cash on delivery payment as received; the checkout continues")
    .argument("<order-id>", "the order's id")
    .requiredOption(
      "--amount <decimal>",
      "the amount received, in the order's currency (must equal its total)",
      decimalAmount,
    )
    .requiredOption("--reference <text>", "the bank transfer's reference or the courier's receipt number")
    .option("--note <text>", "kept with the payment", "")
    .addOption(idempotencyKeyOption("payment record"))
    .action(
      run(async (ctx, command) => {
        const orderId = command.args[0] ?? "";
        const o = command.opts<{ amount: string; reference: string; note: string }>();
        const { order } = await ctx.orderAdmin().markPaymentReceived({
          idempotencyKey: idempotencyKeyOf(command, "mark-paid"),
          orderId,
          amount: toMoney(o.amount, (await getOrder(ctx, orderId)).currency),
          paymentReference: o.reference,
          note: o.note,
        });
        printOrderResult(ctx, order);
      }),
    );
}
