// stockroom warehouses list [--all] | create CODE --name … --capacity …
import { toJson } from "@bufbuild/protobuf";
import {
  CapacityPolicy,
  type Warehouse,
  WarehouseSchema,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { type Command, Option } from "commander";
import { idempotencyKeyOf, idempotencyKeyOption } from "../idempotency-key-option.ts";
import { decimalIn, nonNegativeInteger, oneOf, positiveInteger, ratio } from "../option-parsers.ts";
import { printJson, printLine, printTable } from "../output.ts";
import type { RunAction } from "../program.ts";

const POLICIES = { refuse: CapacityPolicy.REFUSE, flag: CapacityPolicy.FLAG } as const;

function policyName(policy: CapacityPolicy): string {
  return policy === CapacityPolicy.FLAG ? "flag" : "refuse";
}

function printWarehouses(warehouses: Warehouse[]): void {
  printTable(
    ["code", "name", "active", "priority", "capacity", "stored", "policy", "address"],
    warehouses.map((w) => [
      w.code,
      w.name,
      w.active ? "yes" : "no",
      w.priority,
      w.capacityUnits,
      w.unitsStored,
      policyName(w.capacityPolicy),
      w.address,
    ]),
    "no warehouses",
  );
}

export function registerWarehouseCommands(program: Command, run: RunAction): void {
  const warehouses = program.command("warehouses").description("warehouses");

  warehouses
    .command("list")
    .description("warehouses (active ones unless --all)")
    .option("--all", "include inactive warehouses")
    .action(
      run(async (ctx, command) => {
        const response = await ctx
          .warehouseAdmin()
          .listWarehouses({ includeInactive: command.opts<{ all?: boolean }>().all === true });
        if (ctx.config.json) {
          printJson({ warehouses: response.warehouses.map((w) => toJson(WarehouseSchema, w)) });
          return;
        }
        printWarehouses(response.warehouses);
      }),
    );

  warehouses
    .command("create")
    .description("a new, active warehouse (admin)")
    .argument("<code>", "warehouse code, e.g. WH-1")
    .requiredOption("--name <name>", "display name")
    .addOption(
      new Option("--capacity <units>", "units it can hold").argParser(positiveInteger).makeOptionMandatory(),
    )
    .option("--address <text>", "postal address", "")
    .addOption(new Option("--priority <n>", "allocation priority").argParser(nonNegativeInteger).default(0))
    .addOption(
      new Option("--capacity-policy <policy>", "over capacity: refuse | flag")
        .argParser(oneOf(["refuse", "flag"] as const))
        .default("refuse"),
    )
    .option(
      "--fill-alert-ratio <r>",
      "fill ratio in (0, 1] that raises a capacity event (default 0.9)",
      ratio,
    )
    .addOption(
      new Option("--latitude <deg>", "for nearest-warehouse allocation").argParser(decimalIn(-90, 90)),
    )
    .addOption(new Option("--longitude <deg>").argParser(decimalIn(-180, 180)))
    .addOption(idempotencyKeyOption("warehouse creation"))
    .action(
      run(async (ctx, command) => {
        const code = command.processedArgs[0] as string;
        const o = command.opts<{
          name: string;
          capacity: number;
          address: string;
          priority: number;
          capacityPolicy: keyof typeof POLICIES;
          fillAlertRatio?: number;
          latitude?: number;
          longitude?: number;
        }>();
        const location =
          o.latitude !== undefined || o.longitude !== undefined
            ? { latitude: o.latitude ?? 0, longitude: o.longitude ?? 0 }
            : undefined;
        const response = await ctx.warehouseAdmin().createWarehouse({
          idempotencyKey: idempotencyKeyOf(command, "create-warehouse"),
          warehouse: {
            code,
            name: o.name,
            address: o.address,
            capacityUnits: BigInt(o.capacity),
            priority: o.priority,
            capacityPolicy: POLICIES[o.capacityPolicy],
            fillAlertRatio: o.fillAlertRatio ?? 0,
            ...(location ? { location } : {}),
          },
        });
        if (ctx.config.json) {
          printJson(response.warehouse ? toJson(WarehouseSchema, response.warehouse) : {});
          return;
        }
        printLine(`created warehouse ${code}`);
        printWarehouses(response.warehouse ? [response.warehouse] : []);
      }),
    );
}
