// stockroom fulfillments list | waves build | picklists get|export | returns awaiting: the fulfillment
// service's floor tasks for ops, through its FulfillmentService. Lists follow next_page_token to the last
// page; the pick list export is written as FILE.csv.partial and renamed once complete.
import { rename, rm, writeFile } from "node:fs/promises";
import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type FulfillmentOrder,
  FulfillmentOrderSchema,
  FulfillmentOrderStatus,
  PickLineStatus,
  type PickList,
  PickListSchema,
  PickListStatus,
  type Return,
  ReturnReason,
  ReturnSchema,
  ReturnStatus,
} from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import type { Command } from "commander";
import type { CliContext } from "../cli-context.ts";
import { createCsvRecordCounter } from "../csv-record-counter.ts";
import { usageError } from "../exit-codes.ts";
import { idempotencyKeyOf, idempotencyKeyOption } from "../idempotency-key-option.ts";
import { integerIn, oneOf } from "../option-parsers.ts";
import { note, printJson, printLine, printTable } from "../output.ts";
import type { RunAction } from "../program.ts";

const enumName = (e: Record<number, string>, value: number, prefix: string) =>
  (e[value] ?? String(value)).replace(prefix, "").toLowerCase();

const when = (t: Parameters<typeof timestampDate>[0] | undefined) =>
  t ? timestampDate(t).toISOString() : "";

const FULFILLMENT_STATUSES = [
  "verifying",
  "open",
  "picking",
  "picked",
  "packed",
  "qc_hold",
  "shipped",
  "delivered",
  "cancelled",
] as const;

const AWAITING_STATUSES = ["requested", "authorized", "received"] as const;

const PAGE_SIZE = 200;

function collect<T>(parse: (raw: string) => T) {
  return (raw: string, previous: T[] = []): T[] => [...previous, parse(raw)];
}

function fulfillmentStatusValue(name: (typeof FULFILLMENT_STATUSES)[number]): FulfillmentOrderStatus {
  return FulfillmentOrderStatus[name.toUpperCase() as keyof typeof FulfillmentOrderStatus];
}

function returnStatusValue(name: (typeof AWAITING_STATUSES)[number]): ReturnStatus {
  return ReturnStatus[name.toUpperCase() as keyof typeof ReturnStatus];
}

async function allFulfillments(
  ctx: CliContext,
  filter: { warehouseCode: string; statuses: FulfillmentOrderStatus[]; orderId: string },
): Promise<FulfillmentOrder[]> {
  const found: FulfillmentOrder[] = [];
  let pageToken = "";
  do {
    const page = await ctx.fulfillment().listFulfillmentOrders({ ...filter, pageSize: PAGE_SIZE, pageToken });
    found.push(...page.fulfillments);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return found;
}

async function allReturnsAwaiting(
  ctx: CliContext,
  filter: { warehouseCode: string; statuses: ReturnStatus[] },
): Promise<Return[]> {
  const found: Return[] = [];
  let pageToken = "";
  do {
    const page = await ctx
      .fulfillment()
      .listReturnsAwaitingAction({ ...filter, pageSize: PAGE_SIZE, pageToken });
    found.push(...page.returns);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return found;
}

function units(f: FulfillmentOrder, key: "ordered" | "picked" | "shipped" | "short"): number {
  return f.lines.reduce((sum, line) => sum + (line.quantities?.[key] ?? 0), 0);
}

function printPickList(ctx: CliContext, pickList: PickList | undefined): void {
  if (!pickList) throw usageError("the fulfillment service answered no pick list");
  if (ctx.config.json) {
    printJson({ pickList: toJson(PickListSchema, pickList) });
    return;
  }
  const p = pickList.progress;
  printTable(
    ["field", "value"],
    [
      ["pick list", pickList.pickListId],
      ["warehouse", pickList.warehouseCode],
      ["status", enumName(PickListStatus, pickList.status, "PICK_LIST_STATUS_")],
      ["lines done", `${p?.linesDone ?? 0}/${p?.linesTotal ?? 0}`],
      ["units picked", `${p?.unitsPicked ?? 0}/${p?.unitsTotal ?? 0}`],
      ["units short", p?.unitsShort ?? 0],
      ["fulfillments", pickList.fulfillmentIds.join(" ")],
      ["created at", when(pickList.createdAt)],
      ["updated at", when(pickList.updatedAt)],
    ],
  );
  printTable(
    ["line", "bin", "zone", "aisle", "sku", "lot", "quantity", "picked", "short", "status", "fulfillment"],
    pickList.lines.map((l) => [
      l.lineNumber,
      l.location?.binCode ?? "",
      l.location?.zone ?? "",
      l.location?.aisle ?? "",
      l.sku,
      l.lotCode,
      l.quantity,
      l.picked,
      l.short,
      enumName(PickLineStatus, l.status, "PICK_LINE_STATUS_"),
      l.fulfillmentId,
    ]),
    "no lines",
  );
}

export function registerFulfillmentCommands(program: Command, run: RunAction): void {
  program
    .command("fulfillments")
    .description("fulfillment orders: confirmed orders on their way through the warehouse floor (ops)")
    .command("list")
    .description("fulfillment orders, oldest first")
    .option(
      "--status <status>",
      `only this status (repeatable): ${FULFILLMENT_STATUSES.join(", ")}`,
      collect(oneOf(FULFILLMENT_STATUSES)),
    )
    .option("-w, --warehouse <code>", "only this warehouse")
    .option("--order <order-id>", "only the fulfillments of this order")
    .action(
      run(async (ctx, command) => {
        const o = command.opts<{
          status?: (typeof FULFILLMENT_STATUSES)[number][];
          warehouse?: string;
          order?: string;
        }>();
        const found = await allFulfillments(ctx, {
          warehouseCode: o.warehouse ?? "",
          statuses: (o.status ?? []).map(fulfillmentStatusValue),
          orderId: o.order ?? "",
        });
        if (ctx.config.json) {
          printJson({ fulfillments: found.map((f) => toJson(FulfillmentOrderSchema, f)) });
          return;
        }
        printTable(
          [
            "fulfillment",
            "order",
            "warehouse",
            "status",
            "ordered",
            "picked",
            "shipped",
            "short",
            "pick list",
            "updated at",
          ],
          found.map((f) => [
            f.fulfillmentId,
            f.orderId,
            f.warehouseCode,
            enumName(FulfillmentOrderStatus, f.status, "FULFILLMENT_ORDER_STATUS_"),
            units(f, "ordered"),
            units(f, "picked"),
            units(f, "shipped"),
            units(f, "short"),
            f.pickListId,
            when(f.updatedAt),
          ]),
          "no fulfillment orders",
        );
      }),
    );

  program
    .command("waves")
    .description("waves: batch picking (ops)")
    .command("build")
    .description("group the oldest open fulfillment orders of a warehouse into one pick list, in route order")
    .requiredOption("-w, --warehouse <code>", "the warehouse")
    .option("--max-orders <n>", "at most this many fulfillment orders (default 50)", integerIn(1, 500))
    .option("--fulfillment <id>", "exactly these open fulfillment orders (repeatable)", collect(String))
    .addOption(idempotencyKeyOption("wave build"))
    .action(
      run(async (ctx, command) => {
        const o = command.opts<{ warehouse: string; maxOrders?: number; fulfillment?: string[] }>();
        const { pickList } = await ctx.fulfillment().buildWave({
          idempotencyKey: idempotencyKeyOf(command, "wave"),
          warehouseCode: o.warehouse,
          maxOrders: o.maxOrders ?? 0,
          fulfillmentIds: o.fulfillment ?? [],
        });
        printPickList(ctx, pickList);
      }),
    );

  const pickLists = program.command("picklists").description("pick lists of the waves (ops)");

  pickLists
    .command("get")
    .description("one pick list: progress and its lines in route order")
    .argument("<pick-list-id>", "the pick list's id (a UUID)")
    .action(
      run(async (ctx, command) => {
        const { pickList } = await ctx.fulfillment().getPickList({ pickListId: command.args[0] ?? "" });
        printPickList(ctx, pickList);
      }),
    );

  pickLists
    .command("export")
    .description("the pick list as CSV (one row per line, route order), for printing or a scanner")
    .argument("<pick-list-id>", "the pick list's id")
    .requiredOption("-o, --output <file>", "CSV file to write, - for stdout")
    .action(
      run(async (ctx, command) => {
        const output = command.opts<{ output: string }>().output;
        const chunks: Uint8Array[] = [];
        const counter = createCsvRecordCounter();
        const stream = ctx
          .fulfillment()
          .exportPickList({ pickListId: command.args[0] ?? "" }, { deadlineMs: ctx.config.streamTimeoutMs });
        for await (const chunk of stream) {
          counter.push(chunk.csvChunk);
          chunks.push(chunk.csvChunk);
        }
        const csv = Buffer.concat(chunks);
        const rows = Math.max(0, counter.records - 1);
        if (output === "-") {
          process.stdout.write(csv);
          note(`exported ${rows} pick list lines (${csv.length} bytes)`);
          return;
        }
        const partial = `${output}.partial`;
        try {
          await writeFile(partial, csv);
          await rename(partial, output);
        } catch (err) {
          await rm(partial, { force: true });
          throw err;
        }
        if (ctx.config.json) printJson({ file: output, lines: rows, bytes: csv.length });
        else printLine(`exported ${rows} pick list lines to ${output} (${csv.length} bytes)`);
      }),
    );

  program
    .command("returns")
    .description("customer returns (ops)")
    .command("awaiting")
    .description(
      "returns waiting for ops: requested (to authorize), authorized (to receive), received (to inspect)",
    )
    .option(
      "--status <status>",
      `only this status (repeatable): ${AWAITING_STATUSES.join(", ")}`,
      collect(oneOf(AWAITING_STATUSES)),
    )
    .option("-w, --warehouse <code>", "only returns received at this warehouse")
    .action(
      run(async (ctx, command) => {
        const o = command.opts<{ status?: (typeof AWAITING_STATUSES)[number][]; warehouse?: string }>();
        const found = await allReturnsAwaiting(ctx, {
          warehouseCode: o.warehouse ?? "",
          statuses: (o.status ?? []).map(returnStatusValue),
        });
        if (ctx.config.json) {
          printJson({ returns: found.map((r) => toJson(ReturnSchema, r)) });
          return;
        }
        printTable(
          ["return", "status", "order", "fulfillment", "reason", "warehouse", "lines", "requested at"],
          found.map((r) => [
            r.returnId,
            enumName(ReturnStatus, r.status, "RETURN_STATUS_"),
            r.orderId,
            r.fulfillmentId,
            enumName(ReturnReason, r.reason, "RETURN_REASON_"),
            r.warehouseCode,
            r.lines.length,
            when(r.requestedAt),
          ]),
          "no returns awaiting action",
        );
      }),
    );
}
