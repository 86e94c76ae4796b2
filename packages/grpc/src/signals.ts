// SIGTERM/SIGINT → graceful shutdown (Kubernetes sends SIGTERM, then SIGKILL after the grace period).
import type { Logger } from "@stockroom/logging";
import type { GrpcServer } from "./server.ts";

export interface SignalHandlerOptions {
  /** Time in-flight calls get to finish; keep it below the pod's terminationGracePeriodSeconds. */
  graceMs?: number;
  /** Runs after the server stopped: close pools, consumers, producers. */
  onShutdown?: () => Promise<void>;
  /** Defaults to process.exit; tests pass their own. */
  exit?: (code: number) => void;
}

/** Returns a function that removes the handlers again. */
export function installSignalHandlers(
  server: Pick<GrpcServer, "shutdown">,
  logger: Logger,
  options: SignalHandlerOptions = {},
): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, "second signal during shutdown, exiting now");
      exit(1);
      return;
    }
    shuttingDown = true;
    logger.info({ signal }, "shutting down");
    void (async () => {
      try {
        await server.shutdown(options.graceMs);
        await options.onShutdown?.();
        exit(0);
      } catch (err) {
        logger.error({ err }, "shutdown failed");
        exit(1);
      }
    })();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
}
