// What a command works with: the resolved configuration and the service clients, opened on first use
// and closed when the command ends.
import { createClient, type TypedClient } from "@stockroom/grpc";
import { FulfillmentService } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_service_pb.js";
import { OrderAdminService } from "@stockroom/proto/stockroom/order/v1/order_admin_service_pb.js";
import { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import type { Command } from "commander";
import { type CliConfig, type GlobalOptions, resolveConfig } from "./cli-config.ts";
import { CliError, EXIT } from "./exit-codes.ts";

export interface CliContext {
  readonly config: CliConfig;
  warehouse(): TypedClient<typeof WarehouseService>;
  warehouseAdmin(): TypedClient<typeof WarehouseAdminService>;
  order(): TypedClient<typeof OrderService>;
  orderAdmin(): TypedClient<typeof OrderAdminService>;
  fulfillment(): TypedClient<typeof FulfillmentService>;
  close(): void;
}

export const NO_TOKEN_MESSAGE =
  'no token: set STOCKROOM_TOKEN or "token" in the config file (for development: ' +
  "export STOCKROOM_TOKEN=$(stockroom token --role ops))";

export function createCliContext(command: Command, env: NodeJS.ProcessEnv = process.env): CliContext {
  const config = resolveConfig(command.optsWithGlobals<GlobalOptions>(), env);
  const opened: { close(): void }[] = [];
  type Service =
    | typeof WarehouseService
    | typeof WarehouseAdminService
    | typeof OrderService
    | typeof OrderAdminService
    | typeof FulfillmentService;
  function open<S extends Service>(service: S, address: string) {
    const token = config.token;
    if (token === undefined) throw new CliError(NO_TOKEN_MESSAGE, EXIT.auth);
    const client = createClient(service, address, {
      token,
      defaultDeadlineMs: config.timeoutMs,
    });
    opened.push(client);
    return client;
  }
  let warehouse: TypedClient<typeof WarehouseService> | undefined;
  let warehouseAdmin: TypedClient<typeof WarehouseAdminService> | undefined;
  let order: TypedClient<typeof OrderService> | undefined;
  let orderAdmin: TypedClient<typeof OrderAdminService> | undefined;
  let fulfillment: TypedClient<typeof FulfillmentService> | undefined;
  return {
    config,
    warehouse: () => {
      warehouse ??= open(WarehouseService, config.warehouseAddress);
      return warehouse;
    },
    warehouseAdmin: () => {
      warehouseAdmin ??= open(WarehouseAdminService, config.warehouseAddress);
      return warehouseAdmin;
    },
    order: () => {
      order ??= open(OrderService, config.orderAddress);
      return order;
    },
    orderAdmin: () => {
      orderAdmin ??= open(OrderAdminService, config.orderAddress);
      return orderAdmin;
    },
    fulfillment: () => {
      fulfillment ??= open(FulfillmentService, config.fulfillmentAddress);
      return fulfillment;
    },
    close: () => {
      for (const client of opened) client.close();
    },
  };
}
