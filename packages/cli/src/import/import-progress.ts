// The import's progress bar on stderr: done/total rows, rows per second, failures. On a terminal it
// redraws in place; otherwise (a pipe, a log file) it prints one line a second.
import { SingleBar } from "cli-progress";
import type { ImportCounts } from "./bulk-import.ts";

export interface ImportProgress {
  update(counts: ImportCounts): void;
  stop(): void;
}

export function createImportProgress(total: number, enabled: boolean): ImportProgress {
  if (!enabled) return { update() {}, stop() {} };
  const startedAt = performance.now();
  const bar = new SingleBar({
    format: "import [{bar}] {value}/{total} rows | {rate} rows/s | {failed} failed | {duration_formatted}",
    barsize: 30,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 1000,
    stream: process.stderr,
  });
  bar.start(total, 0, { rate: 0, failed: 0 });
  return {
    update(counts) {
      const seconds = (performance.now() - startedAt) / 1000;
      bar.update(counts.done, {
        rate: seconds > 0 ? Math.round(counts.done / seconds) : 0,
        failed: counts.failed,
      });
    },
    stop() {
      bar.stop();
    },
  };
}
