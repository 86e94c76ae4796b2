// Where the CLI finds its token and the services: flags first, then the environment, then the config
// file (--config, or ~/.config/stockroom/config.json when present), then the local defaults of
// deploy/local/env.sh. One token serves every service the commands call (warehouse, order, fulfillment).
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { usageError } from "./exit-codes.ts";

export const CONFIG_FILE_SCHEMA = z
  .object({
    /** Bearer token sent with every call. */
    token: z.string().min(1).optional(),
    /** host:port of the warehouse's gRPC API. */
    warehouseAddress: z.string().min(1).optional(),
    /** host:port of the order service's gRPC API. */
    orderAddress: z.string().min(1).optional(),
    /** host:port of the fulfillment service's gRPC API. */
    fulfillmentAddress: z.string().min(1).optional(),
    /** Kafka brokers for `dlq`, "host:port,host:port" or a list. */
    kafkaBrokers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  })
  .strict();

export type ConfigFile = z.output<typeof CONFIG_FILE_SCHEMA>;

export interface GlobalOptions {
  config?: string;
  warehouseAddress?: string;
  orderAddress?: string;
  fulfillmentAddress?: string;
  brokers?: string;
  json?: boolean;
  timeout?: number;
}

export interface CliConfig {
  token: string | undefined;
  /** Where the token came from, for the error when a service refuses it. */
  tokenSource: string;
  warehouseAddress: string;
  orderAddress: string;
  fulfillmentAddress: string;
  kafkaBrokers: string[];
  json: boolean;
  /** Deadline of one unary call, ms. */
  timeoutMs: number;
  /** Deadline of one streaming call (an import batch, a whole export), ms. */
  streamTimeoutMs: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
// A batch of import rows or an export runs at the warehouse's pace, which a busy machine slows a lot.
export const DEFAULT_STREAM_TIMEOUT_MS = 600_000;

export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "stockroom", "config.json");
}

function readConfigFile(path: string, required: boolean): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw usageError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw usageError(`config file ${path} is not JSON: ${(err as Error).message}`);
  }
  const parsed = CONFIG_FILE_SCHEMA.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`);
    throw usageError(`config file ${path} is not valid: ${issues.join("; ")}`);
  }
  return parsed.data;
}

function brokerList(value: string | string[] | undefined): string[] {
  const list = Array.isArray(value) ? value : (value ?? "").split(",");
  return list.map((b) => b.trim()).filter(Boolean);
}

export function resolveConfig(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliConfig {
  const explicitPath = options.config ?? env.STOCKROOM_CONFIG;
  const path = explicitPath ?? defaultConfigPath(env);
  const file = readConfigFile(path, explicitPath !== undefined);
  const token = env.STOCKROOM_TOKEN || file.token;
  const brokers =
    options.brokers ??
    env.KAFKA_BROKERS ??
    (file.kafkaBrokers === undefined ? env.TEST_KAFKA_BROKERS : undefined);
  return {
    token,
    tokenSource: env.STOCKROOM_TOKEN ? "STOCKROOM_TOKEN" : file.token ? path : "none",
    warehouseAddress:
      options.warehouseAddress ??
      env.STOCKROOM_WAREHOUSE_ADDRESS ??
      file.warehouseAddress ??
      `127.0.0.1:${env.WAREHOUSE_GRPC_PORT || "50051"}`,
    orderAddress:
      options.orderAddress ??
      env.STOCKROOM_ORDER_ADDRESS ??
      file.orderAddress ??
      `127.0.0.1:${env.ORDER_GRPC_PORT || "50053"}`,
    fulfillmentAddress:
      options.fulfillmentAddress ??
      env.STOCKROOM_FULFILLMENT_ADDRESS ??
      file.fulfillmentAddress ??
      `127.0.0.1:${env.FULFILLMENT_GRPC_PORT || "50054"}`,
    kafkaBrokers: brokerList(brokers ?? file.kafkaBrokers ?? "127.0.0.1:9092"),
    json: options.json === true,
    timeoutMs: options.timeout ?? DEFAULT_TIMEOUT_MS,
    streamTimeoutMs: options.timeout ?? DEFAULT_STREAM_TIMEOUT_MS,
  };
}
