// The interval worker with real timers: stop() awaits the tick in flight and cuts waits short, a failed
// tick is reported and the loop goes on, wake() ends a wait (or the next one), and a tick's plan makes
// the loop go again at once or keep a least gap that only stop() cuts short.
import { describe, expect, it } from "vitest";
import { createIntervalWorker, type TickPlan } from "../src/index.ts";

const HOUR = 3_600_000;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

// Bounded wait for a condition the running worker brings about (not a timing assertion).
async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not reached");
}

const failOnError = (err: unknown) => {
  throw err;
};

describe("createIntervalWorker", () => {
  it("stop() waits for the tick in flight, whose signal it aborts, and no tick runs after it", async () => {
    const release = deferred();
    let ticks = 0;
    let abortedInTick: boolean | undefined;
    const worker = createIntervalWorker({
      intervalMs: 1,
      tickOnStart: true,
      onError: failOnError,
      tick: async (signal) => {
        ticks++;
        await release.promise;
        abortedInTick = signal.aborted;
      },
    });
    worker.start();
    await waitFor(() => ticks === 1);
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    expect(abortedInTick).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(ticks).toBe(1);
  });

  it("stop() during the wait returns at once, also before the first tick", async () => {
    let ticks = 0;
    const worker = createIntervalWorker({
      intervalMs: HOUR,
      tickOnStart: true,
      onError: failOnError,
      tick: async () => {
        ticks++;
      },
    });
    worker.start();
    await waitFor(() => ticks === 1);
    await new Promise((r) => setTimeout(r, 20));
    let started = performance.now();
    await worker.stop();
    expect(performance.now() - started).toBeLessThan(1_000);

    const delayed = createIntervalWorker({
      intervalMs: HOUR,
      onError: failOnError,
      tick: async () => {
        ticks++;
      },
    });
    delayed.start();
    await new Promise((r) => setTimeout(r, 20));
    started = performance.now();
    await delayed.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(ticks).toBe(1);
  });

  it("waits one interval before the first tick unless told to tick on start", async () => {
    let ticks = 0;
    const worker = createIntervalWorker({
      intervalMs: 300,
      onError: failOnError,
      tick: async () => {
        ticks++;
      },
    });
    worker.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(ticks).toBe(0);
    await waitFor(() => ticks >= 1);
    await worker.stop();
  });

  it("reports a tick that threw and runs the next tick after the interval", async () => {
    const errors: unknown[] = [];
    let ticks = 0;
    const worker = createIntervalWorker({
      intervalMs: 10,
      tickOnStart: true,
      onError: (err) => errors.push(err),
      tick: async () => {
        ticks++;
        if (ticks <= 2) throw new Error(`tick ${ticks} failed`);
      },
    });
    worker.start();
    await waitFor(() => ticks >= 4);
    await worker.stop();
    expect(errors.map((err) => (err as Error).message)).toEqual(["tick 1 failed", "tick 2 failed"]);
  });

  it("wake() ends the wait at once; a wake() during a tick makes the wait after it return at once", async () => {
    let ticks = 0;
    let wakeDuringTick = false;
    const worker = createIntervalWorker({
      intervalMs: HOUR,
      tickOnStart: true,
      onError: failOnError,
      tick: async () => {
        ticks++;
        if (wakeDuringTick) {
          wakeDuringTick = false;
          worker.wake();
        }
      },
    });
    worker.start();
    await waitFor(() => ticks === 1);
    await new Promise((r) => setTimeout(r, 20));
    worker.wake();
    await waitFor(() => ticks === 2);
    wakeDuringTick = true;
    worker.wake();
    // Tick 3 wakes the worker while it runs: tick 4 follows without waiting the hour; then it waits.
    await waitFor(() => ticks === 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(ticks).toBe(4);
    await worker.stop();
  });

  it("a tick that asks to go again runs the next one without waiting", async () => {
    let ticks = 0;
    const worker = createIntervalWorker({
      intervalMs: HOUR,
      tickOnStart: true,
      onError: failOnError,
      tick: async (): Promise<TickPlan> => {
        ticks++;
        return { again: ticks < 5 };
      },
    });
    worker.start();
    await waitFor(() => ticks === 5);
    await new Promise((r) => setTimeout(r, 100));
    expect(ticks).toBe(5);
    await worker.stop();
  });

  it("a least gap holds the next tick back through wakes and the interval; stop() cuts it short", async () => {
    let ticks = 0;
    const worker = createIntervalWorker({
      intervalMs: 10,
      tickOnStart: true,
      onError: failOnError,
      tick: async (): Promise<TickPlan> => {
        ticks++;
        return { minGapMs: HOUR };
      },
    });
    worker.start();
    await waitFor(() => ticks === 1);
    for (let i = 0; i < 10; i++) {
      worker.wake();
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(ticks).toBe(1);
    const started = performance.now();
    await worker.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(ticks).toBe(1);
  });

  it("a gap shorter than the wait adds nothing; a longer one delays the next tick to its end", async () => {
    const starts: number[] = [];
    const worker = createIntervalWorker({
      intervalMs: 10,
      tickOnStart: true,
      onError: failOnError,
      tick: async (): Promise<TickPlan> => {
        starts.push(performance.now());
        return { minGapMs: starts.length === 1 ? 300 : 0 };
      },
    });
    worker.start();
    await waitFor(() => starts.length >= 3);
    await worker.stop();
    const [first = 0, second = 0] = starts;
    expect(second - first).toBeGreaterThanOrEqual(299);
  });

  it("can be started again after stop()", async () => {
    let ticks = 0;
    const worker = createIntervalWorker({
      intervalMs: HOUR,
      tickOnStart: true,
      onError: failOnError,
      tick: async () => {
        ticks++;
      },
    });
    worker.start();
    worker.start();
    await waitFor(() => ticks === 1);
    await worker.stop();
    worker.start();
    await waitFor(() => ticks === 2);
    await worker.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(ticks).toBe(2);
  });
});
