// stockroom bins list|create|delete --warehouse CODE …
import { toJson } from "@bufbuild/protobuf";
import { type Bin, BinSchema } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { type Command, Option } from "commander";
import { idempotencyKeyOf, idempotencyKeyOption } from "../idempotency-key-option.ts";
import { nonNegativeInteger } from "../option-parsers.ts";
import { printJson, printLine, printTable } from "../output.ts";
import type { RunAction } from "../program.ts";

function printBins(bins: Bin[]): void {
  printTable(
    ["warehouse", "bin", "zone", "aisle", "position", "pick sequence"],
    bins.map((b) => [b.warehouseCode, b.code, b.zone, b.aisle, b.position, b.pickSequence]),
    "no bins",
  );
}

export function registerBinCommands(program: Command, run: RunAction): void {
  const bins = program.command("bins").description("storage bins of a warehouse");

  bins
    .command("list")
    .description("the bins of one warehouse")
    .requiredOption("-w, --warehouse <code>", "warehouse code")
    .action(
      run(async (ctx, command) => {
        const { warehouse } = command.opts<{ warehouse: string }>();
        const response = await ctx.warehouseAdmin().listBins({ warehouseCode: warehouse });
        if (ctx.config.json) {
          printJson({ bins: response.bins.map((b) => toJson(BinSchema, b)) });
          return;
        }
        printBins(response.bins);
      }),
    );

  bins
    .command("create")
    .description("a new bin (admin)")
    .argument("<code>", "bin code, e.g. A-01-03")
    .requiredOption("-w, --warehouse <code>", "warehouse code")
    .option("--zone <zone>", "zone", "")
    .option("--aisle <aisle>", "aisle", "")
    .option("--position <position>", "position in the aisle", "")
    .addOption(
      new Option("--pick-sequence <n>", "order in a pick walk").argParser(nonNegativeInteger).default(0),
    )
    .addOption(idempotencyKeyOption("bin creation"))
    .action(
      run(async (ctx, command) => {
        const code = command.processedArgs[0] as string;
        const o = command.opts<{
          warehouse: string;
          zone: string;
          aisle: string;
          position: string;
          pickSequence: number;
        }>();
        const response = await ctx.warehouseAdmin().createBin({
          idempotencyKey: idempotencyKeyOf(command, "create-bin"),
          bin: {
            warehouseCode: o.warehouse,
            code,
            zone: o.zone,
            aisle: o.aisle,
            position: o.position,
            pickSequence: o.pickSequence,
          },
        });
        if (ctx.config.json) {
          printJson(response.bin ? toJson(BinSchema, response.bin) : {});
          return;
        }
        printLine(`created bin ${code} in ${o.warehouse}`);
        printBins(response.bin ? [response.bin] : []);
      }),
    );

  bins
    .command("delete")
    .description("remove a bin (admin)")
    .argument("<code>", "bin code")
    .requiredOption("-w, --warehouse <code>", "warehouse code")
    .addOption(idempotencyKeyOption("bin deletion"))
    .action(
      run(async (ctx, command) => {
        const code = command.processedArgs[0] as string;
        const { warehouse } = command.opts<{ warehouse: string }>();
        await ctx.warehouseAdmin().deleteBin({
          idempotencyKey: idempotencyKeyOf(command, "delete-bin"),
          warehouseCode: warehouse,
          code,
        });
        if (ctx.config.json) printJson({ deleted: { warehouseCode: warehouse, code } });
        else printLine(`deleted bin ${code} from ${warehouse}`);
      }),
    );
}
