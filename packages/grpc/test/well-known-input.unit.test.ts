import { create } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { isAppError } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import { durationInput, timestampInput } from "../src/index.ts";

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isAppError(err) && err.kind === "invalid_argument") return err.field;
    throw err;
  }
  return undefined;
}

describe("timestampInput", () => {
  it("accepts years 1 to 9999 and refuses the seconds and nanos outside", () => {
    expect(timestampInput(create(TimestampSchema, { seconds: 0n, nanos: 5_000_000 }), "t").getTime()).toBe(5);
    expect(
      timestampInput(create(TimestampSchema, { seconds: -62_135_596_800n, nanos: 0 }), "t").toISOString(),
    ).toBe("0001-01-01T00:00:00.000Z");
    expect(
      timestampInput(
        create(TimestampSchema, { seconds: 253_402_300_799n, nanos: 999_999_999 }),
        "t",
      ).toISOString(),
    ).toBe("9999-12-31T23:59:59.999Z");
    expect(
      fieldOf(() => timestampInput(create(TimestampSchema, { seconds: 253_402_300_800n, nanos: 0 }), "to")),
    ).toBe("to");
    expect(
      fieldOf(() => timestampInput(create(TimestampSchema, { seconds: -62_135_596_801n, nanos: 0 }), "from")),
    ).toBe("from");
    expect(
      fieldOf(() => timestampInput(create(TimestampSchema, { seconds: 0n, nanos: 1_000_000_000 }), "t")),
    ).toBe("t");
    expect(fieldOf(() => timestampInput(create(TimestampSchema, { seconds: 0n, nanos: -1 }), "t"))).toBe("t");
  });
});

describe("durationInput", () => {
  it("gives milliseconds and refuses out-of-range seconds, nanos, or nanos of the other sign", () => {
    expect(durationInput(create(DurationSchema, { seconds: 2n, nanos: 500_000_000 }), "d")).toBe(2_500);
    expect(durationInput(create(DurationSchema, { seconds: -2n, nanos: -500_000_000 }), "d")).toBe(-2_500);
    expect(
      fieldOf(() => durationInput(create(DurationSchema, { seconds: 315_576_000_001n, nanos: 0 }), "ttl")),
    ).toBe("ttl");
    expect(fieldOf(() => durationInput(create(DurationSchema, { seconds: 1n, nanos: -1 }), "ttl"))).toBe(
      "ttl",
    );
    expect(
      fieldOf(() => durationInput(create(DurationSchema, { seconds: 0n, nanos: 1_000_000_000 }), "ttl")),
    ).toBe("ttl");
  });
});
