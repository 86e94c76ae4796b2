// How long the caller of some work waits, and how it says stop: the deadline and abort signal a gRPC
// call brings (its CallContext), carried by each service's RequestContext into use cases, transactions
// (@stockroom/db bounds statements by the time left and cancels them on abort) and downstream calls
// (@stockroom/grpc callOptionsWithin). Work for a caller that has gone stops with the error here.
import { type AppError, isAppError } from "./app-error.ts";
import { cancelled, deadlineExceeded } from "./constructors.ts";

export interface CallLimits {
  /** Aborted when the caller cancels or its deadline passes; its reason is the AppError to stop with. */
  readonly signal?: AbortSignal | undefined;
  /** When the caller stops waiting; undefined when it set no deadline. */
  readonly deadline?: Date | undefined;
}

/** Milliseconds until the deadline (0 once it passed); undefined without a deadline. */
export function remainingMs(limits: CallLimits | undefined, now = Date.now()): number | undefined {
  const deadline = limits?.deadline;
  return deadline === undefined ? undefined : Math.max(0, deadline.getTime() - now);
}

/**
 * Why the work must stop, or undefined while the caller still waits: DEADLINE_EXCEEDED once the
 * deadline passed, the signal's reason (an AppError from the call pipeline) once it aborted.
 */
export function stopReasonOf(limits: CallLimits | undefined, now = Date.now()): AppError | undefined {
  if (limits === undefined) return undefined;
  if (limits.deadline !== undefined && limits.deadline.getTime() <= now) {
    return deadlineExceeded("the caller's deadline passed before the work was done");
  }
  const signal = limits.signal;
  if (signal?.aborted !== true) return undefined;
  return stopErrorFrom(signal.reason);
}

/** Throws stopReasonOf(limits) when there is one: call before starting each piece of work. */
export function throwIfStopped(limits: CallLimits | undefined): void {
  const reason = stopReasonOf(limits);
  if (reason !== undefined) throw reason;
}

// An abort reason as the AppError to stop with: the pipeline's own reasons are AppErrors already; a
// TimeoutError (AbortSignal.timeout) is a deadline; anything else is a cancellation.
function stopErrorFrom(reason: unknown): AppError {
  if (isAppError(reason)) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return deadlineExceeded("the caller's deadline passed before the work was done");
  }
  return cancelled("the caller cancelled before the work was done");
}
