// Trace context over gRPC metadata with OpenTelemetry's in-memory exporter: a client call made inside a
// span carries its traceparent, the server's span continues it, and the handler sees the server span's
// traceparent (what it forwards into outbox rows and further calls).
import { inSpan, SpanKind, traceparentOf } from "@stockroom/telemetry";
import { type InMemoryTracing, startInMemoryTracing } from "@stockroom/telemetry/testing";
import { afterEach, describe, expect, it } from "vitest";
import { echoImpl, startEchoServer, type TestServer } from "./echo-server.ts";

let server: TestServer | undefined;
let tracing: InMemoryTracing | undefined;
afterEach(async () => {
  await server?.close();
  await tracing?.stop();
  server = undefined;
  tracing = undefined;
});

describe("gRPC tracing", () => {
  it("continues the caller's span on the server, and hands the handler the server span's traceparent", async () => {
    tracing = startInMemoryTracing();
    let seen: string | undefined;
    server = await startEchoServer(
      echoImpl({
        async echo(req, ctx) {
          seen = ctx.traceparent;
          return { message: req.message, subject: "", requestId: ctx.requestId };
        },
      }),
    );
    const t = server;
    const client = t.client({ token: await t.tokens.issue({ subject: "ops-1", roles: ["ops"] }) });
    const callerTraceparent = await inSpan("caller", {}, async () => {
      await client.echo({ message: "hi" });
      return traceparentOf();
    });
    const spans = tracing.spans();
    const caller = spans.find((s) => s.name === "caller");
    const handled = spans.find((s) => s.name === "stockroom.testing.v1.EchoService/Echo");
    expect(handled?.kind).toBe(SpanKind.SERVER);
    expect(handled?.spanContext().traceId).toBe(caller?.spanContext().traceId);
    expect(handled?.parentSpanContext?.spanId).toBe(caller?.spanContext().spanId);
    expect(callerTraceparent).toContain(caller?.spanContext().spanId);
    expect(seen).toBe(`00-${handled?.spanContext().traceId}-${handled?.spanContext().spanId}-01`);
  });
});
