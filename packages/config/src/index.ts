// Services extend commonConfigSchema with the same zod instance.
export { z } from "zod";
export {
  authConfigShape,
  type CommonConfig,
  checkAuthConfig,
  commonConfigSchema,
  commonConfigShape,
  DEPLOYMENT_ENVIRONMENTS,
  DEVELOPMENT_JWT_SECRET,
} from "./common-config.ts";
export { ConfigError, type ConfigProblem } from "./config-error.ts";
export {
  boolean,
  commaList,
  durationMs,
  integer,
  LOG_LEVELS,
  type LogLevel,
  logLevel,
  nonEmptyString,
  nonNegativeInt,
  port,
  positiveInt,
  postgresUrl,
  redisUrl,
  schemaName,
  secret,
  url,
} from "./fields.ts";
export { type Env, type LoadConfigOptions, loadConfig } from "./load-config.ts";
export {
  type OutboxRelayConfig,
  outboxRelayConfigSchema,
  outboxRelayConfigShape,
} from "./outbox-relay-config.ts";
