// Sandbox gateway configuration from the environment. Variables may carry the PAYMENT_SANDBOX_ prefix
// (PAYMENT_SANDBOX_HTTP_PORT before HTTP_PORT) so one shell can run it beside the services.
import {
  durationMs,
  type Env,
  loadConfig,
  logLevel,
  nonEmptyString,
  port,
  positiveInt,
  postgresUrl,
  secret,
  url,
  z,
} from "@stockroom/config";

export const CONFIG_PREFIX = "PAYMENT_SANDBOX_";

export const sandboxConfigSchema = z.object({
  LOG_LEVEL: logLevel().default("info"),
  HTTP_PORT: port().default(50060),
  DATABASE_URL: postgresUrl(),
  DB_SCHEMA: nonEmptyString()
    .pipe(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lower-case schema name"))
    .default("payment_sandbox"),
  // Where webhooks go; unset: events are recorded and never sent.
  WEBHOOK_URL: url({ protocols: ["http", "https"] }).optional(),
  // Shared with the receiver, which checks the signature header.
  WEBHOOK_SECRET: secret({ minLength: 16 }),
  // How long the timeout test cards keep the first answer back (past any sane client timeout).
  HANG_MS: durationMs().default(15_000),
  // How long the late-webhook test card holds its webhooks.
  LATE_WEBHOOK_DELAY_MS: durationMs().default(10_000),
  WEBHOOK_POLL_INTERVAL_MS: durationMs().default(200),
  WEBHOOK_TIMEOUT_MS: durationMs().default(5_000),
  WEBHOOK_MAX_ATTEMPTS: positiveInt().default(12),
});

export type SandboxConfig = z.output<typeof sandboxConfigSchema>;

export function loadSandboxConfig(env: Env = process.env): SandboxConfig {
  return loadConfig(sandboxConfigSchema, env, { prefix: CONFIG_PREFIX });
}
