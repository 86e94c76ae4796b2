// stockroom reconcile: every balance recomputed from the ledger; exit code 1 when any drifted.
import { toJson } from "@bufbuild/protobuf";
import { ReconcileResponseSchema } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import type { Command } from "commander";
import { EXIT } from "../exit-codes.ts";
import { printJson, printLine, printTable } from "../output.ts";
import type { RunAction } from "../program.ts";

export function registerReconcileCommand(program: Command, run: RunAction): void {
  program
    .command("reconcile")
    .description("recompute every stock level from the movement ledger and report drift (admin)")
    .action(
      run(async (ctx) => {
        const response = await ctx.warehouseAdmin().reconcile({});
        if (ctx.config.json) {
          printJson(toJson(ReconcileResponseSchema, response, { alwaysEmitImplicit: true }));
        } else {
          printLine(`${response.levelsChecked} stock levels checked, ${response.drifts.length} drifted`);
          if (response.drifts.length > 0) {
            printTable(
              ["warehouse", "sku", "bucket", "stored", "from ledger"],
              response.drifts.map((d) => [d.warehouseCode, d.sku, d.bucket, d.stored, d.fromLedger]),
            );
          }
        }
        return response.drifts.length > 0 ? EXIT.partial : EXIT.ok;
      }),
    );
}
