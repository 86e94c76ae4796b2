import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, REDACTED, runWithLogContext } from "../src/index.ts";

// Collects every JSON line the logger writes.
function captureLines() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

describe("createLogger", () => {
  it("writes JSON with service, string level, ISO time and message", () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ service: "warehouse", base: { version: "1.2.3" }, destination });
    logger.info({ sku: "SKU-1" }, "stock reserved");
    logger.debug("hidden at info level");
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({
      level: "info",
      service: "warehouse",
      version: "1.2.3",
      sku: "SKU-1",
      msg: "stock reserved",
    });
    expect(new Date(String(line?.time)).toISOString()).toBe(line?.time);
  });

  it("honours the level", () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ service: "s", level: "debug", destination });
    logger.debug("now visible");
    expect(lines[0]).toMatchObject({ level: "debug", msg: "now visible" });
  });

  it("adds the request context from runWithLogContext, across awaits and nested scopes", async () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ service: "order", destination });
    logger.info("outside");
    await runWithLogContext({ requestId: "req-1", traceId: "trace-1" }, async () => {
      await Promise.resolve();
      logger.info("inside");
      await runWithLogContext({ spanId: "span-2", requestId: "req-2" }, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        logger.info("nested");
      });
      logger.info({ traceId: "explicit" }, "call-site wins");
    });
    expect(lines[0]).not.toHaveProperty("requestId");
    expect(lines[1]).toMatchObject({ requestId: "req-1", traceId: "trace-1", msg: "inside" });
    expect(lines[2]).toMatchObject({ requestId: "req-2", traceId: "trace-1", spanId: "span-2" });
    expect(lines[3]).toMatchObject({ requestId: "req-1", traceId: "explicit" });
  });

  it("keeps concurrent requests' contexts apart", async () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ service: "s", destination });
    await Promise.all(
      ["a", "b", "c"].map((id) =>
        runWithLogContext({ requestId: id }, async () => {
          await new Promise((resolve) => setImmediate(resolve));
          logger.info({ expected: id }, "done");
        }),
      ),
    );
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.requestId).toBe(line.expected);
  });

  it("redacts authorization headers, tokens and secrets", () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ service: "s", destination, redact: ["card.number"] });
    logger.info(
      {
        req: { headers: { authorization: "Bearer abc.def.ghi", "x-request-id": "r1" } },
        metadata: { authorization: "Bearer xyz" },
        token: "t0k3n",
        auth: { accessToken: "a", refreshToken: "r" },
        user: { password: "hunter2" },
        card: { number: "4111" },
      },
      "request",
    );
    const text = JSON.stringify(lines[0]);
    for (const leaked of ["abc.def.ghi", "xyz", "t0k3n", "hunter2", "4111", '"a"', '"r"']) {
      expect(text).not.toContain(leaked);
    }
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: REDACTED, "x-request-id": "r1" } },
      metadata: { authorization: REDACTED },
      token: REDACTED,
      auth: { accessToken: REDACTED, refreshToken: REDACTED },
      user: { password: REDACTED },
      card: { number: REDACTED },
    });
  });

  it("serialises errors with their stack under err", () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ service: "s", destination });
    logger.error({ err: new Error("boom") }, "failed");
    expect(lines[0]).toMatchObject({ level: "error", err: { type: "Error", message: "boom" } });
    const err = lines[0]?.err as { stack?: string } | undefined;
    expect(err?.stack).toContain("boom");
  });
});
