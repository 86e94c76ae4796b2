// What a command works with: the resolved configuration and the service clients, opened on first use
// and closed when the command ends.
import { createClient, type TypedClient } from "@stockroom/grpc";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import type { Command } from "commander";
import { type CliConfig, type GlobalOptions, resolveConfig } from "./cli-config.ts";
import { CliError, EXIT } from "./exit-codes.ts";

export interface CliContext {
  readonly config: CliConfig;
  warehouse(): TypedClient<typeof WarehouseService>;
  warehouseAdmin(): TypedClient<typeof WarehouseAdminService>;
  close(): void;
}

export const NO_TOKEN_MESSAGE =
  'no token: set STOCKROOM_TOKEN or "token" in the config file (for development: ' +
  "export STOCKROOM_TOKEN=$(stockroom token --role ops))";

export function createCliContext(command: Command, env: NodeJS.ProcessEnv = process.env): CliContext {
  const config = resolveConfig(command.optsWithGlobals<GlobalOptions>(), env);
  const opened: { close(): void }[] = [];
  function open<S extends typeof WarehouseService | typeof WarehouseAdminService>(service: S) {
    const token = config.token;
    if (token === undefined) throw new CliError(NO_TOKEN_MESSAGE, EXIT.auth);
    const client = createClient(service, config.warehouseAddress, {
      token,
      defaultDeadlineMs: config.timeoutMs,
    });
    opened.push(client);
    return client;
  }
  let warehouse: TypedClient<typeof WarehouseService> | undefined;
  let warehouseAdmin: TypedClient<typeof WarehouseAdminService> | undefined;
  return {
    config,
    warehouse: () => {
      warehouse ??= open(WarehouseService);
      return warehouse;
    },
    warehouseAdmin: () => {
      warehouseAdmin ??= open(WarehouseAdminService);
      return warehouseAdmin;
    },
    close: () => {
      for (const client of opened) client.close();
    },
  };
}
