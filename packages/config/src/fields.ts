// Reusable zod field builders for environment variables. Each takes the raw string and yields a typed value;
// the message says what was expected, and loadConfig adds the variable name and the offending value.
import { z } from "zod";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const INTEGER = /^[+-]?\d+$/;

export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  const expected =
    max === Number.MAX_SAFE_INTEGER
      ? `expected an integer >= ${min}`
      : `expected an integer between ${min} and ${max}`;
  return z.string().transform((raw, ctx) => {
    const text = raw.trim();
    const value = INTEGER.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    return value;
  });
}

export function port() {
  return integer(1, 65535);
}

export function positiveInt() {
  return integer(1);
}

export function nonNegativeInt() {
  return integer(0);
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in milliseconds: "250" (ms), "250ms", "30s", "15m", "4h", "1d". */
export function durationMs() {
  return z.string().transform((raw, ctx) => {
    const match = DURATION.exec(raw.trim().toLowerCase());
    const amount = match ? Number(match[1]) * (UNIT_MS[match[2] ?? "ms"] ?? 1) : Number.NaN;
    if (!Number.isFinite(amount)) {
      ctx.addIssue({
        code: "custom",
        message: 'expected a duration such as "500", "500ms", "30s", "15m", "4h" or "1d"',
      });
      return z.NEVER;
    }
    return Math.round(amount);
  });
}

export function url(options: { protocols?: readonly string[] } = {}) {
  const protocols = options.protocols;
  const expected = protocols
    ? `expected a URL with scheme ${protocols.map((p) => `${p}://`).join(" or ")}`
    : "expected a URL";
  return z.string().transform((raw, ctx) => {
    const text = raw.trim();
    if (!URL.canParse(text)) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    const scheme = new URL(text).protocol.replace(/:$/, "");
    if (protocols && !protocols.includes(scheme)) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    return text;
  });
}

export function postgresUrl() {
  return url({ protocols: ["postgres", "postgresql"] });
}

export function redisUrl() {
  return url({ protocols: ["redis", "rediss"] });
}

export function logLevel() {
  return z.string().transform((raw, ctx) => {
    const level = raw.trim().toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      ctx.addIssue({ code: "custom", message: `expected one of ${LOG_LEVELS.join(", ")}` });
      return z.NEVER;
    }
    return level as LogLevel;
  });
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

export function boolean() {
  return z.string().transform((raw, ctx) => {
    const text = raw.trim().toLowerCase();
    if (TRUE.has(text)) return true;
    if (FALSE.has(text)) return false;
    ctx.addIssue({ code: "custom", message: "expected a boolean (true/false, 1/0, yes/no, on/off)" });
    return z.NEVER;
  });
}

export function nonEmptyString() {
  return z
    .string()
    .transform((raw) => raw.trim())
    .refine((text) => text.length > 0, { message: "expected a non-empty string" });
}

/** A service's PostgreSQL schema: lower-case letters, digits and '_', at most 63 bytes. */
export function schemaName() {
  return nonEmptyString().pipe(
    z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lower-case schema name"),
  );
}

/** A secret: never echoed back in error messages (loadConfig redacts variables named like secrets). */
export function secret(options: { minLength?: number } = {}) {
  const minLength = options.minLength ?? 1;
  return z
    .string()
    .refine((text) => text.length >= minLength, { message: `expected at least ${minLength} characters` });
}

/** A comma-separated list, e.g. Kafka brokers "host1:9092,host2:9092". */
export function commaList() {
  return z.string().transform((raw, ctx) => {
    const items = raw
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
    if (items.length === 0) {
      ctx.addIssue({ code: "custom", message: "expected a comma-separated list with at least one item" });
      return z.NEVER;
    }
    return items;
  });
}
