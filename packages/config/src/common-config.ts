// Variables every Stockroom service reads. Services extend it: `commonConfigSchema.extend({ ... })`.
import { z } from "zod";
import { durationMs, logLevel, nonEmptyString, port, positiveInt, postgresUrl, secret } from "./fields.ts";

export const commonConfigShape = {
  SERVICE_NAME: nonEmptyString().optional(),
  LOG_LEVEL: logLevel().default("info"),
  GRPC_PORT: port().default(50051),
  METRICS_PORT: port().default(9464),
  DATABASE_URL: postgresUrl(),
  DB_POOL_MAX: positiveInt().default(10),
  DB_STATEMENT_TIMEOUT: durationMs().default(30_000),
  JWT_SECRET: secret({ minLength: 32 }),
  JWT_ISSUER: nonEmptyString().default("stockroom"),
  JWT_AUDIENCE: nonEmptyString().default("stockroom"),
};

export const commonConfigSchema = z.object(commonConfigShape);

export type CommonConfig = z.output<typeof commonConfigSchema>;
