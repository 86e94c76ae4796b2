// createGrpcServer: one gRPC server per process hosting protobuf-es services. Every call runs the same
// pipeline: request/trace ids, deadline check, authentication and per-RPC policy, the handler, then one
// error mapping, one log line and the RPC metrics.
import { once } from "node:events";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  type ChannelOptions,
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import {
  assertCompletePolicy,
  authorize,
  type MethodPolicy,
  type Principal,
  type TokenVerifier,
} from "@stockroom/auth";
import { deadlineExceeded, unauthenticated } from "@stockroom/errors";
import { type Logger, runWithLogContext } from "@stockroom/logging";
import { createRpcMetrics, observeRpc, observeRpcStart, type RpcMetrics } from "@stockroom/metrics";
import { contextFromTraceparent, inSpan, SpanKind, traceIdOf, traceparentOf } from "@stockroom/telemetry";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";
import type { Registry } from "prom-client";
import { bearerTokenFrom, type CallContext, deadlineFrom, requestIdFrom, traceFrom } from "./call-context.ts";
import { type GrpcStatus, toGrpcStatus } from "./error-status.ts";
import { addReflection } from "./reflection.ts";
import { methodPath, serviceDefinition } from "./service-definition.ts";
import type { ServiceImpl, ServicePolicy } from "./service-types.ts";

export interface GrpcServerOptions {
  logger: Logger;
  registry: Registry;
  verifier: TokenVerifier;
  /** Extra grpc-js server options (merged over the defaults below). */
  channelOptions?: ChannelOptions;
  /**
   * Whether the process can take traffic (database reachable, ...); throwing counts as no. Once the
   * server is bound, gRPC health follows it (polled every readinessIntervalMs), as /readyz does.
   */
  readiness?: () => Promise<boolean> | boolean;
  /** Defaults to 1000 ms. */
  readinessIntervalMs?: number;
}

export interface GrpcServer {
  /** Adds a service. Throws unless the policy names every method of the service. Call before start. */
  register<S extends DescService>(service: S, impl: ServiceImpl<S>, policy: ServicePolicy<S>): void;
  /** Binds (e.g. "0.0.0.0:50051", "127.0.0.1:0"), marks every service SERVING; resolves to the port. */
  start(address: string): Promise<number>;
  /** Health → NOT_SERVING, stop accepting calls, wait up to graceMs for in-flight calls, then force. */
  shutdown(graceMs?: number): Promise<void>;
  /** For readiness: e.g. NOT_SERVING while the database is unreachable. "" is the whole server. */
  setServingStatus(service: string, servingStatus: ServingStatus): void;
  /**
   * False until start has bound the port, from the moment shutdown begins (draining), and while the
   * readiness option says no: what /readyz and gRPC health both report.
   */
  ready(): Promise<boolean>;
  readonly server: Server;
}

const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.keepalive_time_ms": 60_000,
  "grpc.keepalive_timeout_ms": 20_000,
  "grpc.max_receive_message_length": 8 * 1024 * 1024,
  // Nothing reads channelz (no admin service is registered), yet it timestamps and counts every call and
  // message per session; RPC metrics and logs come from the wrapper below.
  "grpc.enable_channelz": 0,
};

// Success and failure both send the request id back in the trailers, so a client can quote it.
type Outcome<T> = { ok: true; value: T; trailer: Metadata } | { ok: false; status: GrpcStatus };

interface MethodRuntime {
  service: DescService;
  method: DescMethod;
  policy: MethodPolicy;
  path: string;
  /** The RPC metrics' labels of this method. */
  labels: { service: string; method: string };
}

interface AnyCall {
  metadata: Metadata;
  cancelled: boolean;
  getDeadline(): Date | number;
  on(event: "cancelled", listener: () => void): unknown;
  off(event: "cancelled", listener: () => void): unknown;
}

export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const server = new Server({ ...DEFAULT_CHANNEL_OPTIONS, ...options.channelOptions });
  const metrics = createRpcMetrics(options.registry);
  const health = new HealthImplementation({ "": "NOT_SERVING" });
  const services: DescService[] = [];
  let started = false;
  let bound = false;
  let draining = false;
  let readinessTimer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;
  let lastServing: ServingStatus | undefined;

  const execute = createCallExecutor(options.logger, options.verifier, metrics);

  function register<S extends DescService>(service: S, impl: ServiceImpl<S>, policy: ServicePolicy<S>): void {
    if (started) throw new Error(`cannot register ${service.typeName} after start`);
    if (services.some((s) => s.typeName === service.typeName)) {
      throw new Error(`${service.typeName} registered twice`);
    }
    const methodNames = service.methods.map((m) => m.localName);
    assertCompletePolicy(service.typeName, methodNames, policy);
    const handlers: UntypedServiceImplementation = {};
    const implementation = impl as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of service.methods) {
      const fn = implementation[method.localName];
      if (typeof fn !== "function")
        throw new Error(`${service.typeName}: no implementation for ${method.name}`);
      const runtime: MethodRuntime = {
        service,
        method,
        policy: (policy as Record<string, MethodPolicy>)[method.localName] as MethodPolicy,
        path: methodPath(service, method),
        labels: { service: service.typeName, method: method.name },
      };
      handlers[method.localName] = makeHandler(runtime, fn.bind(impl), execute);
    }
    server.addService(serviceDefinition(service), handlers);
    services.push(service);
    health.setStatus(service.typeName, "NOT_SERVING");
  }

  async function start(address: string): Promise<number> {
    if (started) throw new Error("server already started");
    started = true;
    health.addToServer(server);
    addReflection(server, services);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, ServerCredentials.createInsecure(), (err, boundPort) =>
        err ? reject(err) : resolve(boundPort),
      );
    });
    bound = true;
    await refreshHealth();
    readinessTimer = setInterval(() => void refreshHealth(), options.readinessIntervalMs ?? 1_000);
    readinessTimer.unref();
    options.logger.info(
      { address, port, services: services.map((s) => s.typeName) },
      "grpc server listening",
    );
    return port;
  }

  async function ready(): Promise<boolean> {
    if (!bound || draining) return false;
    if (options.readiness === undefined) return true;
    try {
      return (await options.readiness()) === true;
    } catch {
      return false;
    }
  }

  // One probe at a time: a database that does not answer must not pile up checks.
  function refreshHealth(): Promise<void> {
    refreshing ??= (async () => {
      try {
        const servingStatus: ServingStatus = (await ready()) ? "SERVING" : "NOT_SERVING";
        // shutdown may have begun while the probe ran: draining always wins.
        if (draining) return;
        if (servingStatus !== lastServing) {
          if (servingStatus === "NOT_SERVING")
            options.logger.warn({ servingStatus }, "not ready: health NOT_SERVING");
          else if (lastServing !== undefined)
            options.logger.info({ servingStatus }, "ready again: health SERVING");
          lastServing = servingStatus;
        }
        setAll(servingStatus);
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  function setAll(servingStatus: ServingStatus): void {
    health.setStatus("", servingStatus);
    for (const service of services) health.setStatus(service.typeName, servingStatus);
  }

  async function shutdown(graceMs = 10_000): Promise<void> {
    draining = true;
    clearInterval(readinessTimer);
    setAll("NOT_SERVING");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        options.logger.warn({ graceMs }, "grpc server grace period over, cancelling in-flight calls");
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    options.logger.info("grpc server stopped");
  }

  return {
    register,
    start,
    shutdown,
    setServingStatus: (service, servingStatus) => health.setStatus(service, servingStatus),
    ready,
    server,
  };
}

type Executor = <T>(
  runtime: MethodRuntime,
  call: AnyCall,
  body: (ctx: CallContext) => Promise<T>,
) => Promise<Outcome<T>>;

function createCallExecutor(baseLogger: Logger, verifier: TokenVerifier, metrics: RpcMetrics): Executor {
  async function authenticate(policy: MethodPolicy, metadata: Metadata): Promise<Principal | undefined> {
    if (policy === "public") return undefined;
    const token = bearerTokenFrom(metadata);
    if (token === undefined) throw unauthenticated("missing bearer token");
    const principal = await verifier.verify(token);
    authorize(principal, policy);
    return principal;
  }

  return async function execute<T>(
    runtime: MethodRuntime,
    call: AnyCall,
    body: (ctx: CallContext) => Promise<T>,
  ): Promise<Outcome<T>> {
    const startedAt = process.hrtime.bigint();
    observeRpcStart(metrics, runtime.labels);
    const requestId = requestIdFrom(call.metadata);
    const trace = traceFrom(call.metadata);
    // Made on first use: a pino child (its bindings pass through redaction) and an AbortController cost
    // more than many handlers do, and most calls log nothing at the info level and never read the signal.
    let logger: Logger | undefined;
    const callLogger = () => {
      logger ??= baseLogger.child({ requestId, traceId: trace?.traceId, rpc: runtime.path });
      return logger;
    };
    let controller: AbortController | undefined;
    const onCancelled = () => controller?.abort(new Error("call cancelled by client or deadline"));
    const callSignal = () => {
      if (controller === undefined) {
        controller = new AbortController();
        if (call.cancelled) onCancelled();
        else call.on("cancelled", onCancelled);
      }
      return controller.signal;
    };
    const deadline = deadlineFrom(call.getDeadline());
    const elapsed = () => Number(process.hrtime.bigint() - startedAt) / 1e9;
    try {
      if (deadline !== undefined && deadline.getTime() <= Date.now()) {
        throw deadlineExceeded("deadline passed before the call started");
      }
      const principal = await authenticate(runtime.policy, call.metadata);
      const ctx: CallContext = {
        principal,
        deadline,
        get signal() {
          return callSignal();
        },
        metadata: call.metadata,
        requestId,
        // Inside the call's server span (tracing on): that span's, so outgoing calls and outbox rows
        // continue it; otherwise the caller's.
        get traceId() {
          return traceIdOf(traceparentOf()) ?? trace?.traceId;
        },
        get traceparent() {
          return traceparentOf() ?? trace?.traceparent;
        },
        get logger() {
          return callLogger();
        },
      };
      const value = await inSpan(
        runtime.path.slice(1),
        {
          kind: SpanKind.SERVER,
          parent: contextFromTraceparent(trace?.traceparent),
          attributes: {
            "rpc.system": "grpc",
            "rpc.service": runtime.labels.service,
            "rpc.method": runtime.labels.method,
          },
        },
        () => runWithLogContext({ requestId, traceId: trace?.traceId }, () => body(ctx)),
      );
      const seconds = elapsed();
      observeRpc(metrics, { ...runtime.labels, code: "OK", seconds });
      if (baseLogger.isLevelEnabled("info")) {
        callLogger().info({ code: "OK", durationMs: Math.round(seconds * 1000) }, "rpc handled");
      }
      const trailer = new Metadata();
      trailer.set("x-request-id", requestId);
      return { ok: true, value, trailer };
    } catch (err) {
      const mapped = toGrpcStatus(err, requestId);
      mapped.metadata.set("x-request-id", requestId);
      // A client that went away gets nothing; record why it ended, not what the handler threw.
      const code = call.cancelled ? cancelledCode(deadline) : status[mapped.code];
      const seconds = elapsed();
      observeRpc(metrics, { ...runtime.labels, code: code ?? "UNKNOWN", seconds });
      const fields = { code, durationMs: Math.round(seconds * 1000) };
      if (mapped.serverFault && !call.cancelled) callLogger().error({ ...fields, err }, "rpc failed");
      else if (baseLogger.isLevelEnabled("info")) {
        callLogger().info({ ...fields, message: mapped.details }, "rpc handled");
      }
      return { ok: false, status: mapped };
    } finally {
      if (controller !== undefined) call.off("cancelled", onCancelled);
    }
  };
}

function cancelledCode(deadline: Date | undefined): string {
  return deadline !== undefined && deadline.getTime() <= Date.now() ? "DEADLINE_EXCEEDED" : "CANCELLED";
}

type Fn = (...args: unknown[]) => unknown;

function makeHandler(runtime: MethodRuntime, fn: Fn, execute: Executor): UntypedHandleCall {
  switch (runtime.method.methodKind) {
    case "unary":
      return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        void execute(runtime, call, (ctx) => fn(call.request, ctx) as Promise<unknown>).then((outcome) =>
          outcome.ok ? callback(null, outcome.value, outcome.trailer) : callback(outcome.status),
        );
      };
    case "server_streaming":
      return (call: ServerWritableStream<unknown, unknown>) => {
        void execute(runtime, call, (ctx) =>
          writeAll(call, fn(call.request, ctx) as AsyncIterable<unknown>, ctx.signal),
        ).then((outcome) => (outcome.ok ? call.end(outcome.trailer) : call.emit("error", outcome.status)));
      };
    case "client_streaming":
      return (call: ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        void execute(runtime, call, (ctx) => fn(call, ctx) as Promise<unknown>).then((outcome) =>
          outcome.ok ? callback(null, outcome.value, outcome.trailer) : callback(outcome.status),
        );
      };
    case "bidi_streaming":
      return (call: ServerDuplexStream<unknown, unknown>) => {
        void execute(runtime, call, (ctx) =>
          writeAll(call, fn(call, ctx) as AsyncIterable<unknown>, ctx.signal),
        ).then((outcome) => (outcome.ok ? call.end(outcome.trailer) : call.emit("error", outcome.status)));
      };
  }
}

// Honours back-pressure: waits for 'drain' when the transport buffer is full, unless the call ends.
async function writeAll(
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  messages: AsyncIterable<unknown>,
  signal: AbortSignal,
): Promise<void> {
  for await (const message of messages) {
    if (signal.aborted) return;
    if (!call.write(message)) await once(call, "drain", { signal });
  }
}
