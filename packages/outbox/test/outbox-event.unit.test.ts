// Event ids: UUIDv7 (version 7, RFC 4122 variant), every one distinct, their time prefix the writer's clock,
// across more ids than one refill of the random pool.
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { toOutboxRow } from "../src/index.ts";

describe("toOutboxRow event ids", () => {
  it("are distinct UUIDv7s stamped with the current time", () => {
    const before = Date.now();
    const ids = Array.from(
      { length: 1000 },
      (_, i) =>
        toOutboxRow(
          { producer: "test" },
          {
            topic: "t",
            messageKey: `k-${i}`,
            aggregateType: "test.thing",
            aggregateId: `a-${i}`,
            aggregateVersion: 1,
            eventType: "ThingChanged",
            payloadSchema: StringValueSchema,
            payload: create(StringValueSchema, { value: "x" }),
          },
        ).event_id,
    );
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const msecs = Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);
      expect(msecs).toBeGreaterThanOrEqual(before);
      expect(msecs).toBeLessThanOrEqual(after);
    }
  });
});
