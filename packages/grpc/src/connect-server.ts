// createConnectServer: the services registered on a GrpcServer, served again on a second port over the
// Connect protocol (JSON or binary, HTTP/1.1 or HTTP/2), gRPC-Web and gRPC, for curl, browsers and
// admin front ends. Each call runs the gRPC server's own call pipeline (call-pipeline.ts) with the
// same handlers and policies, so authentication, validation, error details, request ids, metrics and
// logs are the same on both ports. Client streaming and bidi streaming need HTTP/2 (Connect over
// HTTP/1.1 carries unary and server-streaming calls); CORS answers only the configured origins.
import { PassThrough } from "node:stream";
import { fromBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  cors as connectCors,
  type HandlerContext,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Metadata } from "@grpc/grpc-js";
import type { Logger } from "@stockroom/logging";
import corsMiddleware from "cors";
import type { CallContext } from "./call-context.ts";
import type { BoundMethod, BoundService, Executor, MethodRuntime, PipelineCall } from "./call-pipeline.ts";
import { toConnectError } from "./connect-error.ts";
import { EncodedMessage } from "./encoded-message.ts";
import { createH2cListener, type HttpHandler } from "./h2c-listener.ts";
import type { GrpcServer } from "./server.ts";

export interface ConnectServerOptions {
  logger: Logger;
  /**
   * Origins a browser may call from (CORS), e.g. "https://admin.example.com"; "*" allows any. Empty
   * (the default): no CORS headers, so browsers refuse cross-origin calls.
   */
  corsAllowedOrigins?: readonly string[];
  /** Largest request message accepted; defaults to 8 MiB, as on the gRPC port. */
  readMaxBytes?: number;
}

export interface ConnectServer {
  /** Serves the services registered on the gRPC server by now; resolves to the bound port. */
  start(host: string, port: number): Promise<number>;
  /** Stops accepting, lets in-flight calls finish for up to graceMs, then cancels them. */
  shutdown(graceMs?: number): Promise<void>;
}

const REQUEST_ID_HEADER = "x-request-id";
// Headers a browser client sends or reads beyond the Connect protocol's own.
const APP_REQUEST_HEADERS = ["authorization", REQUEST_ID_HEADER, "traceparent"];
const APP_RESPONSE_HEADERS = [REQUEST_ID_HEADER, "stockroom-error-bin", `trailer-${REQUEST_ID_HEADER}`];

export function createConnectServer(
  grpc: Pick<GrpcServer, "pipeline" | "registered">,
  options: ConnectServerOptions,
): ConnectServer {
  const shutdownController = new AbortController();
  let listener: ReturnType<typeof createH2cListener> | undefined;

  function routes(router: ConnectRouter): void {
    for (const binding of grpc.registered())
      router.service(binding.service, connectImpl(binding, grpc.pipeline.execute) as never);
  }

  async function start(host: string, port: number): Promise<number> {
    if (listener !== undefined) throw new Error("connect server already started");
    const connect = connectNodeAdapter({
      routes,
      readMaxBytes: options.readMaxBytes ?? 8 * 1024 * 1024,
      shutdownSignal: shutdownController.signal,
    });
    listener = createH2cListener(withCors(connect as HttpHandler, options.corsAllowedOrigins ?? []));
    const bound = await listener.listen(host, port);
    options.logger.info(
      { host, port: bound, services: grpc.registered().map((b) => b.service.typeName) },
      "connect server listening",
    );
    return bound;
  }

  let stopping: Promise<void> | undefined;
  function shutdown(graceMs = 10_000): Promise<void> {
    if (listener === undefined) return Promise.resolve();
    const draining = listener;
    stopping ??= (async () => {
      const timer = setTimeout(() => {
        options.logger.warn({ graceMs }, "connect server grace period over, cancelling in-flight calls");
        shutdownController.abort(new ConnectError("the server is shutting down", Code.Unavailable));
      }, graceMs);
      // The listener destroys what is left a little after the calls were told to stop.
      await draining.close(graceMs + 100);
      clearTimeout(timer);
      options.logger.info("connect server stopped");
    })();
    return stopping;
  }

  return { start, shutdown };
}

function withCors(handler: HttpHandler, origins: readonly string[]): HttpHandler {
  if (origins.length === 0) return handler;
  const middleware = corsMiddleware({
    origin: origins.includes("*") ? true : [...origins],
    methods: [...connectCors.allowedMethods],
    allowedHeaders: [...connectCors.allowedHeaders, ...APP_REQUEST_HEADERS],
    exposedHeaders: [...connectCors.exposedHeaders, ...APP_RESPONSE_HEADERS],
    maxAge: 7200,
  });
  type Req = Parameters<typeof middleware>[0];
  type Res = Parameters<typeof middleware>[1];
  return (req, res) => middleware(req as Req, res as Res, () => handler(req, res));
}

type ConnectMethod = (input: unknown, hctx: HandlerContext) => unknown;

function connectImpl(binding: BoundService, execute: Executor): Record<string, ConnectMethod> {
  const impl: Record<string, ConnectMethod> = {};
  for (const method of binding.methods)
    impl[method.runtime.method.localName] = connectMethod(method, execute);
  return impl;
}

function connectMethod({ runtime, fn }: BoundMethod, execute: Executor): ConnectMethod {
  switch (runtime.method.methodKind) {
    case "unary":
    case "client_streaming":
      // A client stream arrives as an AsyncIterable of messages, as the handlers expect.
      return async (input, hctx) => {
        const outcome = await untilAborted(
          execute(runtime, pipelineCall(hctx), (ctx) => {
            hctx.responseHeader.set(REQUEST_ID_HEADER, ctx.requestId);
            return fn(input, ctx) as Promise<unknown>;
          }),
          hctx.signal,
        );
        if (!outcome.ok) throw toConnectError(outcome.status);
        return responseMessage(runtime, outcome.value);
      };
    case "server_streaming":
    case "bidi_streaming":
      return (input, hctx) =>
        streamed(runtime, execute, hctx, (ctx) => fn(input, ctx) as AsyncIterable<unknown>);
  }
}

// The handler's messages pass through a small buffer so the whole stream runs inside the pipeline (its
// log line and metrics cover the stream) while Connect pulls at the client's pace.
async function* streamed(
  runtime: MethodRuntime,
  execute: Executor,
  hctx: HandlerContext,
  produce: (ctx: CallContext) => AsyncIterable<unknown>,
): AsyncGenerator<unknown> {
  const buffer = new PassThrough({ objectMode: true, highWaterMark: 16 });
  let failure: ConnectError | undefined;
  void execute(runtime, pipelineCall(hctx), async (ctx) => {
    hctx.responseHeader.set(REQUEST_ID_HEADER, ctx.requestId);
    for await (const message of produce(ctx)) {
      if (ctx.signal.aborted || buffer.destroyed) return;
      if (!buffer.write(responseMessage(runtime, message))) await drainedOrClosed(buffer);
    }
  }).then((outcome) => {
    // Messages already buffered still go out before the error, as on the gRPC port.
    if (!outcome.ok) failure = toConnectError(outcome.status);
    buffer.end();
  });
  const onAbort = () => buffer.destroy(ConnectError.from(hctx.signal.reason));
  hctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    yield* buffer;
  } finally {
    hctx.signal.removeEventListener("abort", onAbort);
  }
  if (failure !== undefined) throw failure;
}

// As on the gRPC port, the client gets DEADLINE_EXCEEDED (or CANCELLED, UNAVAILABLE at shutdown) when
// its deadline passes, even while the handler still runs; the pipeline records how the handler ended.
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(ConnectError.from(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(ConnectError.from(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function drainedOrClosed(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

// Connect encodes every response itself; bytes a handler encoded ahead are decoded back (JSON needs
// the message anyway), after the same check of their type the gRPC serializer makes.
function responseMessage(runtime: MethodRuntime, value: unknown): unknown {
  if (!(value instanceof EncodedMessage)) return value;
  const output = runtime.method.output;
  if (value.schema.typeName !== output.typeName) {
    throw new Error(`${runtime.method.name} answers ${output.typeName}, not ${value.schema.typeName}`);
  }
  return fromBinary(output, value.bytes);
}

// The Connect call as the pipeline sees a gRPC call: headers as metadata, the deadline the client set
// (connect-timeout-ms or grpc-timeout), cancelled when the client goes away or the deadline passes.
function pipelineCall(hctx: HandlerContext): PipelineCall {
  const remainingMs = hctx.timeoutMs();
  const deadline = remainingMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + remainingMs;
  const { signal } = hctx;
  return {
    metadata: metadataFrom(hctx.requestHeader),
    get cancelled() {
      return signal.aborted;
    },
    getDeadline: () => deadline,
    on: (_event, listener) => signal.addEventListener("abort", listener),
    off: (_event, listener) => signal.removeEventListener("abort", listener),
  };
}

function metadataFrom(headers: Headers): Metadata {
  const metadata = new Metadata();
  headers.forEach((value, key) => {
    try {
      if (key.endsWith("-bin")) metadata.set(key, Buffer.from(value, "base64"));
      else metadata.set(key, value);
    } catch {
      // Not a valid gRPC metadata key or value (HTTP allows more): no handler reads it.
    }
  });
  return metadata;
}
