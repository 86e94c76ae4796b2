// A call made on behalf of a caller (CallOptions.limits, e.g. the RequestContext of the RPC being
// served) takes the caller's remaining time as its deadline when that is shorter than its own, and is
// cancelled with the caller: the downstream service's work stops when the caller's does. Both clients
// (client.ts, connect-client.ts) derive their calls' deadline and signal here.
import { type CallLimits, remainingMs, stopReasonOf, throwIfStopped } from "@stockroom/errors";

export interface CallBounds {
  deadlineMs: number;
  signal: AbortSignal | undefined;
}

/** Throws the caller's stop reason when it has already gone: such a call is not made. */
export function boundsWithin(
  ownDeadlineMs: number,
  signal: AbortSignal | undefined,
  limits: CallLimits | undefined,
): CallBounds {
  if (limits === undefined) return { deadlineMs: ownDeadlineMs, signal };
  throwIfStopped(limits);
  const left = remainingMs(limits);
  const deadlineMs = left === undefined ? ownDeadlineMs : Math.min(ownDeadlineMs, left);
  const signals = [signal, limits.signal].filter((s): s is AbortSignal => s !== undefined);
  return { deadlineMs, signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] };
}

/**
 * A call that failed because its caller went (its deadline passed, it cancelled) fails with the
 * caller's stop reason, not as a fault of the dependency (which would map to UNAVAILABLE).
 */
export function callerStopOr(err: unknown, limits: CallLimits | undefined): unknown {
  return stopReasonOf(limits) ?? err;
}
