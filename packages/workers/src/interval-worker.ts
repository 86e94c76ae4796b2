// The one shape of every background loop (expiry sweeper, cache warmer, outbox relay): run a tick, wait
// the interval, repeat until stop(). wake() ends a wait early (the relay's NOTIFY); a tick may ask to go
// again at once (a backlog) or for a least gap before the next one (the relay's linger), which only stop()
// cuts short. stop() resolves once the tick in flight has finished.
import { setTimeout as sleep } from "node:timers/promises";

export interface TickPlan {
  /** Run the next tick at once, without waiting: the tick left a backlog. */
  readonly again?: boolean;
  /**
   * The next tick starts no sooner than this long after this one started, however early the wait is
   * woken; only stop() cuts it short. 0 (the default): as soon as the wait ends.
   */
  readonly minGapMs?: number;
}

export interface IntervalWorkerOptions {
  /** The wait from the end of one tick to the start of the next, unless woken or the tick says otherwise. */
  readonly intervalMs: number;
  /** One pass of the work. Its signal aborts when stop() is called, for a tick that loops inside. */
  readonly tick: (signal: AbortSignal) => Promise<TickPlan | undefined> | Promise<void>;
  /** A tick threw: report it; the loop goes on after the interval. */
  readonly onError: (err: unknown) => void;
  /** Run the first tick at start() (default false: one interval after it). */
  readonly tickOnStart?: boolean;
}

export interface IntervalWorker {
  /** Starts the loop in the background; while it runs, another call does nothing. */
  start(): void;
  /** Ends the current wait now; called during a tick, the wait after that tick returns at once. */
  wake(): void;
  /** Cuts any wait short, aborts the tick's signal, and resolves once the tick in flight has finished. */
  stop(): Promise<void>;
}

export function createIntervalWorker(options: IntervalWorkerOptions): IntervalWorker {
  let stopping: AbortController | undefined;
  let loop: Promise<void> | undefined;
  // A wake() that found no wait in progress: the next wakeable wait returns at once.
  let woken = false;
  let wakeWait: AbortController | undefined;

  // Resolves after ms, on stop, or (if wakeable) on wake(). The timer does not keep the process alive:
  // a worker lives as long as the servers or the caller that started it.
  async function pause(ms: number, stop: AbortSignal, wakeable: boolean): Promise<void> {
    if (wakeable && woken) {
      woken = false;
      return;
    }
    const signals = [stop];
    if (wakeable) {
      wakeWait = new AbortController();
      signals.push(wakeWait.signal);
    }
    try {
      await sleep(ms, undefined, { signal: AbortSignal.any(signals), ref: false });
    } catch (err) {
      if (!(err instanceof Error && err.name === "AbortError")) throw err;
    } finally {
      if (wakeable) {
        wakeWait = undefined;
        woken = false;
      }
    }
  }

  async function tick(stop: AbortSignal): Promise<TickPlan> {
    try {
      return (await options.tick(stop)) ?? {};
    } catch (err) {
      options.onError(err);
      return {};
    }
  }

  async function run(stop: AbortSignal): Promise<void> {
    if (!options.tickOnStart) await pause(options.intervalMs, stop, true);
    while (!stop.aborted) {
      const started = Date.now();
      const plan = await tick(stop);
      if (stop.aborted) return;
      if (plan.again) continue;
      await pause(options.intervalMs, stop, true);
      const gapLeft = started + (plan.minGapMs ?? 0) - Date.now();
      if (gapLeft > 0) await pause(gapLeft, stop, false);
    }
  }

  return {
    start() {
      if (loop) return;
      stopping = new AbortController();
      loop = run(stopping.signal);
    },
    wake() {
      woken = true;
      wakeWait?.abort();
    },
    async stop() {
      stopping?.abort();
      await loop;
      loop = undefined;
      stopping = undefined;
    },
  };
}
