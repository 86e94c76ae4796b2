// Our spans and trace context with OpenTelemetry's in-memory exporter: traceparent round trips, inSpan
// marks failures, nothing is made with tracing off, and log lines carry the active span's ids.

import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../logging/src/index.ts";
import { type InMemoryTracing, startInMemoryTracing } from "../src/in-memory-tracing.ts";
import {
  contextFromTraceparent,
  inSpan,
  startSpan,
  traceIdOf,
  traceparentOf,
  tracingEnabled,
} from "../src/index.ts";

let tracing: InMemoryTracing | undefined;
afterEach(async () => {
  await tracing?.stop();
  tracing = undefined;
});

const REMOTE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("trace context", () => {
  it("is off by default: inSpan just runs, and there is no traceparent", async () => {
    expect(tracingEnabled()).toBe(false);
    expect(await inSpan("x", {}, async (span) => span)).toBeUndefined();
    expect(traceparentOf()).toBeUndefined();
    expect(startSpan("x", {})).toBeUndefined();
  });

  it("continues a remote traceparent, and a child's traceparent names the child", async () => {
    tracing = startInMemoryTracing();
    const inner = await inSpan("child", { parent: contextFromTraceparent(REMOTE) }, async () =>
      traceparentOf(),
    );
    const [child] = tracing.spans();
    expect(child?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(traceIdOf(inner)).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(inner).toBe(`00-0af7651916cd43dd8448eb211c80319c-${child?.spanContext().spanId}-01`);
    expect(traceIdOf("not a traceparent")).toBeUndefined();
  });

  it("marks a span whose function throws as failed, and rethrows", async () => {
    tracing = startInMemoryTracing();
    await expect(inSpan("fails", {}, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const [span] = tracing.spans();
    expect(span?.status).toMatchObject({ code: 2, message: "boom" });
  });

  it("puts the active span's trace and span ids on every log line", async () => {
    tracing = startInMemoryTracing();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: "trace-test",
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    logger.info("outside");
    await inSpan("logged", {}, async () => logger.info("inside"));
    const [span] = tracing.spans();
    expect(lines[0]).not.toHaveProperty("traceId");
    expect(lines[1]).toMatchObject({
      msg: "inside",
      traceId: span?.spanContext().traceId,
      spanId: span?.spanContext().spanId,
    });
  });
});
