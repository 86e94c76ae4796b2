// PartitionProgress on a controlled clock: caught up, behind with the oldest unapplied message known or
// not, and a reading gone stale (a poller that cannot reach the broker) no longer claiming 0.
import { describe, expect, it } from "vitest";
import { createPartitionProgress } from "../src/partition-progress.ts";

function clock(start: number) {
  const state = { now: start };
  return { state, now: () => state.now };
}

describe("partition progress", () => {
  it("reports 0 when caught up, the oldest unapplied message's age when behind", () => {
    const time = clock(10_000);
    const progress = createPartitionProgress({ clock: time.now, staleAfterMs: 5_000 });
    progress.fetched("t", 0, "12", [
      { offset: "10", timestamp: "9000" },
      { offset: "11", timestamp: "9500" },
    ]);
    expect(progress.lagOf("t", 0)).toEqual({ lagMs: 1_000, asOf: new Date(9_000) });
    time.state.now = 10_400;
    progress.applied("t", 0, { offset: "10", timestamp: "9000" });
    expect(progress.lagOf("t", 0)).toEqual({ lagMs: 900, asOf: new Date(9_500) });
    time.state.now = 10_600;
    progress.applied("t", 0, { offset: "11", timestamp: "9500" });
    expect(progress.lagOf("t", 0)).toEqual({ lagMs: 0, asOf: new Date(10_600) });
  });

  it("without the message fetched, is behind since the last time it was known current", () => {
    const time = clock(20_000);
    const progress = createPartitionProgress({ clock: time.now });
    progress.observed("t", 1, { endOffset: "5", committedOffset: "5", at: 20_000 });
    expect(progress.partitionCount("t")).toBe(2);
    expect(progress.lagOf("t", 1)).toEqual({ lagMs: 0, asOf: new Date(20_000) });
    // Another instance consumes partition 1 and has not committed the new message yet.
    time.state.now = 21_000;
    progress.observed("t", 1, { endOffset: "6", committedOffset: "5", at: 21_000 });
    time.state.now = 22_000;
    expect(progress.lagOf("t", 1)).toEqual({ lagMs: 2_000, asOf: new Date(20_000) });
    // Never read: unknown since the progress was created, not 0.
    expect(progress.lagOf("t", 0)).toEqual({ lagMs: 2_000, asOf: new Date(20_000) });
  });

  it("stops claiming 0 once the last confirmation is older than staleAfterMs", () => {
    const time = clock(30_000);
    const progress = createPartitionProgress({ clock: time.now, staleAfterMs: 5_000 });
    progress.observed("t", 0, { endOffset: "3", committedOffset: "3", at: 30_000 });
    time.state.now = 35_000;
    expect(progress.lagOf("t", 0).lagMs).toBe(0);
    time.state.now = 36_000;
    expect(progress.lagOf("t", 0)).toEqual({ lagMs: 6_000, asOf: new Date(30_000) });
  });
});
