// A service under benchmark runs as its own process (node src/main.ts in the service's folder), its logs on
// stderr so stdout carries only the benchmark's JSON. BENCH_SERVER_NODE_OPTIONS and BENCH_SERVER_NODE_ARGS
// pass Node or V8 flags (e.g. --cpu-prof) to the service only.
import { type ChildProcess, spawn } from "node:child_process";

export function spawnBenchService(serviceDir: string, env: Record<string, string | undefined>): ChildProcess {
  // Flags NODE_OPTIONS refuses (e.g. --trace-gc, --single-threaded-gc) go on the command line.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  return spawn(process.execPath, [...nodeArgs, "src/main.ts"], {
    cwd: serviceDir,
    env: { ...process.env, NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS ?? "", ...env },
    stdio: ["ignore", process.stderr, process.stderr],
  });
}

/** SIGTERM, then resolves on exit; at once for a process that already exited (it would never emit again). */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** Calls probe until it resolves (the service is up), at most attempts times, intervalMs apart. */
export async function waitUntilReady(
  probe: () => Promise<unknown>,
  options: { attempts: number; intervalMs: number },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await probe();
      return;
    } catch (err) {
      if (attempt >= options.attempts) throw err;
      await new Promise((r) => setTimeout(r, options.intervalMs));
    }
  }
}
