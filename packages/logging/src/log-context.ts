// Request-scoped fields (request id, trace id, ...) carried through async calls, so every log line of a
// request carries them without passing a child logger through every function.
import { AsyncLocalStorage } from "node:async_hooks";

export interface LogContext {
  readonly requestId?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly [field: string]: string | number | boolean | undefined;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs fn with ctx merged over the surrounding context (inner fields win). */
export function runWithLogContext<T>(ctx: LogContext, fn: () => T): T {
  const outer = storage.getStore();
  return storage.run(outer ? { ...outer, ...ctx } : { ...ctx }, fn);
}

export function getLogContext(): LogContext | undefined {
  return storage.getStore();
}
