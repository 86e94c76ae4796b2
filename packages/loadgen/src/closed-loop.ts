// Closed-loop load: `clients` callers, each sending its next call as soon as its previous one settles,
// for `seconds`. What a pool of busy storefront backends does; throughput is what the server sustains.
export interface ClosedLoopReport {
  /** Latency of every successful call, ms, in completion order. */
  latencies: Float64Array;
  failures: number;
  /** The first few distinct failure messages, to tell an overload from a bug. */
  failureSamples: string[];
  elapsedS: number;
  /** CPU of this thread over the run (user + system, µs). */
  cpuUs: number;
}

export async function closedLoop(
  clients: number,
  seconds: number,
  call: () => Promise<void>,
): Promise<ClosedLoopReport> {
  const latencies: number[] = [];
  const failureSamples = new Set<string>();
  let failures = 0;
  const cpuBefore = process.threadCpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await call();
          latencies.push(performance.now() - t0);
        } catch (err) {
          failures++;
          if (failureSamples.size < 5) failureSamples.add(err instanceof Error ? err.message : String(err));
        }
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = process.threadCpuUsage(cpuBefore);
  return {
    latencies: Float64Array.from(latencies),
    failures,
    failureSamples: [...failureSamples],
    elapsedS,
    cpuUs: cpu.user + cpu.system,
  };
}

export interface LoadSummary {
  operations: number;
  failures: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Merges the reports of generators that ran side by side into one throughput and latency summary. */
export function summarize(
  reports: readonly Pick<ClosedLoopReport, "latencies" | "failures" | "elapsedS">[],
): LoadSummary {
  const latencies = Float64Array.from(reports.flatMap((report) => [...report.latencies])).sort();
  const elapsed = Math.max(...reports.map((report) => report.elapsedS));
  const pct = (p: number) => Number((latencies[Math.floor((latencies.length - 1) * p)] ?? 0).toFixed(2));
  return {
    operations: latencies.length,
    failures: reports.reduce((sum, report) => sum + report.failures, 0),
    perSecond: Math.round(latencies.length / elapsed),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
  };
}
