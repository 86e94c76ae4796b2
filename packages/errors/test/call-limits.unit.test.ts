import { describe, expect, it } from "vitest";
import { cancelled, deadlineExceeded, remainingMs, stopReasonOf, throwIfStopped } from "../src/index.ts";

describe("CallLimits", () => {
  it("says nothing while the caller waits, DEADLINE_EXCEEDED once its deadline passed", () => {
    const now = Date.now();
    const limits = { deadline: new Date(now + 1_000), signal: new AbortController().signal };
    expect(stopReasonOf(limits, now)).toBeUndefined();
    expect(remainingMs(limits, now)).toBe(1_000);
    expect(stopReasonOf(limits, now + 1_000)?.kind).toBe("deadline_exceeded");
    expect(remainingMs(limits, now + 5_000)).toBe(0);
    expect(remainingMs({}, now)).toBeUndefined();
    expect(stopReasonOf(undefined)).toBeUndefined();
  });

  it("stops with the signal's reason: the pipeline's AppError, a timeout as a deadline, else CANCELLED", () => {
    const withReason = (reason: unknown) => {
      const controller = new AbortController();
      controller.abort(reason);
      return { signal: controller.signal };
    };
    const pipelines = cancelled("the client cancelled the call");
    expect(stopReasonOf(withReason(pipelines))).toBe(pipelines);
    expect(stopReasonOf(withReason(deadlineExceeded("late")))?.kind).toBe("deadline_exceeded");
    expect(stopReasonOf({ signal: AbortSignal.abort(new DOMException("t", "TimeoutError")) })?.kind).toBe(
      "deadline_exceeded",
    );
    expect(stopReasonOf(withReason(undefined))?.kind).toBe("cancelled");
    expect(() => throwIfStopped(withReason(pipelines))).toThrow(pipelines);
    expect(() => throwIfStopped({ deadline: new Date(Date.now() + 60_000) })).not.toThrow();
  });
});
