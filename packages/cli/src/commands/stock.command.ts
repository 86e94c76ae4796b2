// stockroom stock get SKU…    levels per warehouse and totals (BatchGetStock, 100 skus a call)
// stockroom stock adjust …    one signed on_hand change with its reason (AdjustStock)
import { toJson } from "@bufbuild/protobuf";
import {
  type SkuStock,
  SkuStockSchema,
  type StockLevel,
} from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import { AdjustStockResponseSchema } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { type Command, Option } from "commander";
import {
  ADJUSTMENT_REASON_BY_NAME,
  ADJUSTMENT_REASON_NAMES,
  type AdjustmentReasonName,
} from "../adjustment-reasons.ts";
import { idempotencyKeyOf, idempotencyKeyOption } from "../idempotency-key-option.ts";
import { nonZeroInt32, oneOf } from "../option-parsers.ts";
import { type Cell, printJson, printLine, printTable } from "../output.ts";
import type { RunAction } from "../program.ts";

const BATCH_SKUS = 100;

export const LEVEL_HEAD = [
  "warehouse",
  "sku",
  "on hand",
  "reserved",
  "committed",
  "safety",
  "damaged",
  "qc",
  "incoming",
  "available",
];

export function levelRow(level: StockLevel): Cell[] {
  return [
    level.warehouseCode,
    level.sku,
    level.onHand,
    level.reserved,
    level.committed,
    level.safetyStock,
    level.damaged,
    level.qualityControl,
    level.incoming,
    level.available,
  ];
}

export function registerStockCommands(program: Command, run: RunAction): void {
  const stock = program.command("stock").description("stock levels");

  stock
    .command("get")
    .description("stock of one or more skus, per warehouse and in total")
    .argument("<sku...>", "skus to look up")
    .option("-w, --warehouse <code>", "only this warehouse")
    .action(
      run(async (ctx, command) => {
        const skus = command.processedArgs[0] as string[];
        const { warehouse } = command.opts<{ warehouse?: string }>();
        const stocks: SkuStock[] = [];
        for (let i = 0; i < skus.length; i += BATCH_SKUS) {
          const response = await ctx.warehouse().batchGetStock({
            skus: skus.slice(i, i + BATCH_SKUS),
            warehouseCode: warehouse ?? "",
          });
          stocks.push(...response.stocks);
        }
        if (ctx.config.json) {
          printJson({ stocks: stocks.map((s) => toJson(SkuStockSchema, s)) });
          return;
        }
        printTable(
          LEVEL_HEAD,
          stocks.flatMap((s) => s.levels.map(levelRow)),
          "no stock levels for these skus",
        );
        printTable(
          ["sku", "total on hand", "total available"],
          stocks.map((s) => [s.sku, s.totalOnHand, s.totalAvailable]),
        );
      }),
    );

  stock
    .command("adjust")
    .description("change on_hand of one sku in one warehouse, with a reason")
    .requiredOption("-w, --warehouse <code>", "warehouse code")
    .requiredOption("-s, --sku <sku>", "sku")
    .addOption(
      new Option("-d, --delta <n>", "signed change of on_hand (damage and loss take negative numbers)")
        .argParser(nonZeroInt32)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("-r, --reason <reason>", ADJUSTMENT_REASON_NAMES.join(" | "))
        .argParser(oneOf(ADJUSTMENT_REASON_NAMES))
        .makeOptionMandatory(),
    )
    .option("--note <text>", "kept on the ledger row")
    .option("--lot <code>", "lot the units belong to (default: the untracked lot)")
    .allowExcessArguments(false)
    .addOption(idempotencyKeyOption("adjustment"))
    .action(
      run(async (ctx, command) => {
        const o = command.opts<{
          warehouse: string;
          sku: string;
          delta: number;
          reason: AdjustmentReasonName;
          note?: string;
          lot?: string;
        }>();
        const response = await ctx.warehouseAdmin().adjustStock({
          idempotencyKey: idempotencyKeyOf(command, "adjust"),
          warehouseCode: o.warehouse,
          sku: o.sku,
          quantityDelta: o.delta,
          reason: ADJUSTMENT_REASON_BY_NAME[o.reason],
          note: o.note ?? "",
          lotCode: o.lot ?? "",
        });
        if (ctx.config.json) {
          printJson(toJson(AdjustStockResponseSchema, response));
          return;
        }
        printLine(`adjusted ${o.sku} in ${o.warehouse} by ${o.delta} (${o.reason})`);
        if (response.level) printTable(LEVEL_HEAD, [levelRow(response.level)]);
      }),
    );
}
