// Parsers for option and argument values: each returns the typed value or throws commander's
// InvalidArgumentError, whose message commander prints after naming the option (exit code 2).
import { InvalidArgumentError } from "commander";

const INTEGER = /^[+-]?\d+$/;

export function integerIn(min: number, max: number) {
  return (raw: string): number => {
    const value = INTEGER.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`"${raw}" is not a whole number.`);
    if (value < min || value > max) {
      throw new InvalidArgumentError(`${value} is outside ${min}..${max}.`);
    }
    return value;
  };
}

export const positiveInteger = integerIn(1, Number.MAX_SAFE_INTEGER);
export const nonNegativeInteger = integerIn(0, Number.MAX_SAFE_INTEGER);
/** A signed, non-zero change that fits the proto's int32. */
export function nonZeroInt32(raw: string): number {
  const value = integerIn(-2_147_483_648, 2_147_483_647)(raw);
  if (value === 0) throw new InvalidArgumentError("must not be 0.");
  return value;
}

export function ratio(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    throw new InvalidArgumentError(`"${raw}" is not a ratio in (0, 1].`);
  }
  return value;
}

export function instant(raw: string): Date {
  // Date-only and date-time ISO 8601 forms; Date.parse alone accepts too much ("1", "May 5").
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw)) {
    throw new InvalidArgumentError(`"${raw}" is not an ISO 8601 date or time (e.g. 2026-12-01T08:00:00Z).`);
  }
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError(`"${raw}" is not a valid date.`);
  return date;
}

/** "type:id", as in cart:c-42 or order:1001. */
export function reference(raw: string): { type: string; id: string } {
  const colon = raw.indexOf(":");
  if (colon <= 0 || colon === raw.length - 1) {
    throw new InvalidArgumentError(`"${raw}" is not type:id (e.g. cart:c-42).`);
  }
  return { type: raw.slice(0, colon), id: raw.slice(colon + 1) };
}

export function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    const value = raw.toLowerCase();
    if (!(values as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`"${raw}" is not one of ${values.join(", ")}.`);
    }
    return value as T;
  };
}

export function decimalIn(min: number, max: number) {
  return (raw: string): number => {
    const value = /^[+-]?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new InvalidArgumentError(`"${raw}" is not a number in ${min}..${max}.`);
    }
    return value;
  };
}
