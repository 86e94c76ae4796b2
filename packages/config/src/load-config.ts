// Validates the environment against a zod object schema at start-up and fails fast, naming every bad variable.
import type { z } from "zod";
import { ConfigError, type ConfigProblem } from "./config-error.ts";

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /**
   * Read `${prefix}${KEY}` before `KEY`, so several services can share one shell
   * (e.g. prefix "WAREHOUSE_" reads WAREHOUSE_GRPC_PORT, falling back to GRPC_PORT).
   */
  readonly prefix?: string;
}

// Values of variables named like these are never printed back.
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY/i;

export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Env = process.env,
  options: LoadConfigOptions = {},
): z.output<S> {
  const keys = Object.keys(schema.shape);
  const sources = new Map<string, string>();
  const input: Record<string, string> = {};
  for (const key of keys) {
    const found = lookup(env, key, options.prefix);
    if (found) {
      sources.set(key, found.variable);
      input[key] = found.value;
    }
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(describeIssues(result.error.issues, env, sources, options.prefix));
}

// Empty strings count as unset: `FOO=` in a .env file means "use the default", not "the empty value".
function lookup(
  env: Env,
  key: string,
  prefix: string | undefined,
): { variable: string; value: string } | undefined {
  const candidates = prefix ? [`${prefix}${key}`, key] : [key];
  for (const variable of candidates) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== "") return { variable, value };
  }
  return undefined;
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  env: Env,
  sources: ReadonlyMap<string, string>,
  prefix: string | undefined,
): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const key = issue.path[0];
    if (typeof key !== "string") {
      problems.push({ variable: "config", message: issue.message });
      continue;
    }
    const variable = sources.get(key) ?? (prefix ? `${prefix}${key}` : key);
    // One line per variable: the first problem is enough to fix it.
    if (seen.has(variable)) continue;
    seen.add(variable);
    const raw = sources.has(key) ? env[variable] : undefined;
    if (raw === undefined) {
      const alias = prefix ? ` (or ${key})` : "";
      problems.push({ variable: `${variable}${alias}`, message: "required but not set" });
      continue;
    }
    problems.push({ variable, message: `${issue.message}, got ${showValue(variable, raw)}` });
  }
  return problems;
}

function showValue(variable: string, raw: string): string {
  if (SECRET_NAME.test(variable)) return `<redacted, ${raw.length} characters>`;
  return JSON.stringify(redactUrlPassword(raw));
}

function redactUrlPassword(raw: string): string {
  if (!URL.canParse(raw)) return raw;
  const parsed = new URL(raw);
  if (!parsed.password) return raw;
  parsed.password = "***";
  return parsed.toString();
}
