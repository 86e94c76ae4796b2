// A partition that never held a message is caught up before its group ever commits there (the search
// index lag takes the worst partition, so an empty one must not read as behind forever).
import { describe, expect, it } from "vitest";
import { createPartitionProgress } from "../src/partition-progress.ts";

describe("partition progress of an empty partition", () => {
  it("is caught up with no committed offset when the partition is empty, behind when it is not", () => {
    let now = 1_000_000;
    const progress = createPartitionProgress({ clock: () => now });
    progress.observed("t", 0, { endOffset: "0", committedOffset: "-1", at: now });
    progress.observed("t", 1, { endOffset: "3", committedOffset: "-1", at: now });
    now += 2_000;
    expect(progress.lagOf("t", 0).lagMs).toBe(0);
    expect(progress.lagOf("t", 1).lagMs).toBeGreaterThan(0);
  });
});
