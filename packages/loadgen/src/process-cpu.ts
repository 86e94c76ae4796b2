// CPU time of the processes a benchmark puts under load, read from /proc (Linux): the service, PostgreSQL's
// backends, the Kafka broker. Divided by the operations of a run, it says where each operation's CPU went,
// which varies far less between runs on a shared machine than throughput does.
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function cpuMsOfPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the state field.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0; // gone (a backend that exited) or not Linux
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

function pids(): number[] {
  try {
    return readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU milliseconds the whole machine has been busy (all cores, every process and the kernel). */
export function machineBusyMs(): number {
  try {
    const [, ...ticks] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
    return (
      (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) /
      TICKS_PER_SECOND
    );
  } catch {
    return 0;
  }
}

export type ProcessGroups = Record<string, (command: string, pid: number) => boolean>;

/** CPU milliseconds used so far by each group of processes (matched by command line or pid). */
export function cpuMsByGroup(groups: ProcessGroups): Record<string, number> {
  const totals: Record<string, number> = Object.fromEntries(Object.keys(groups).map((name) => [name, 0]));
  for (const pid of pids()) {
    const command = commandOf(pid);
    for (const [name, matches] of Object.entries(groups)) {
      if (matches(command, pid)) totals[name] = (totals[name] ?? 0) + cpuMsOfPid(pid);
    }
  }
  return totals;
}

/**
 * Starts measuring; the returned function gives each group's CPU ms per operation since then, plus any
 * CPU measured otherwise (`measuredMs`, e.g. a load generator's threads over their own loop), their total,
 * and the whole machine's busy time per operation (`machine`).
 */
export function cpuPerOperation(
  groups: ProcessGroups,
): (operations: number, measuredMs?: Record<string, number>) => Record<string, number> {
  const before = cpuMsByGroup(groups);
  const machineBefore = machineBusyMs();
  return (operations, measuredMs = {}) => {
    const after = cpuMsByGroup(groups);
    const machineMs = machineBusyMs() - machineBefore;
    const spentMs: Record<string, number> = { ...measuredMs };
    for (const name of Object.keys(groups)) spentMs[name] = (after[name] ?? 0) - (before[name] ?? 0);
    const perOp = (ms: number) => Number((ms / Math.max(1, operations)).toFixed(3));
    const result: Record<string, number> = {};
    let total = 0;
    for (const [name, ms] of Object.entries(spentMs)) {
      result[name] = perOp(ms);
      total += ms;
    }
    result.total = perOp(total);
    // The whole machine over the same time: what is left beyond total is other processes and the kernel.
    result.machine = perOp(machineMs);
    return result;
  };
}
