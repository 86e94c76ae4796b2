// Ctrl-C (SIGINT) or SIGTERM during a long command: the first asks the command to finish cleanly, a
// second leaves at once with the "interrupted" exit code.
import { EXIT } from "./exit-codes.ts";

export interface InterruptWatch {
  requested(): boolean;
  /** Aborted at the first signal: hand it to calls that should stop. */
  readonly signal: AbortSignal;
  dispose(): void;
}

export function watchInterrupts(onFirst: () => void): InterruptWatch {
  const controller = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    if (count > 1) process.exit(EXIT.interrupted);
    onFirst();
    controller.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    requested: () => count > 0,
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
