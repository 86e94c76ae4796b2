// createGrpcServer: one gRPC server per process hosting protobuf-es services. Every call runs the call
// pipeline (call-pipeline.ts): request/trace ids, deadline check, authentication and per-RPC policy, the
// handler, then one error mapping, one log line and the RPC metrics. A Connect server
// (connect-server.ts) serves the same registered services through the same pipeline.
import { once } from "node:events";
import type { DescService } from "@bufbuild/protobuf";
import {
  type ChannelOptions,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { TokenVerifier } from "@stockroom/auth";
import type { Logger } from "@stockroom/logging";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";
import type { Registry } from "prom-client";
import {
  type BoundMethod,
  type BoundService,
  type CallPipeline,
  createCallPipeline,
  type Executor,
} from "./call-pipeline.ts";
import { addReflection } from "./reflection.ts";
import { serviceDefinition } from "./service-definition.ts";
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
  /** The call pipeline every call of this server runs; a Connect server runs its calls through it too. */
  readonly pipeline: CallPipeline;
  /** The services registered so far, bound to their implementations and policies. */
  registered(): readonly BoundService[];
}

const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.keepalive_time_ms": 60_000,
  "grpc.keepalive_timeout_ms": 20_000,
  "grpc.max_receive_message_length": 8 * 1024 * 1024,
  // Nothing reads channelz (no admin service is registered), yet it timestamps and counts every call and
  // message per session; RPC metrics and logs come from the wrapper below.
  "grpc.enable_channelz": 0,
};

export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const server = new Server({ ...DEFAULT_CHANNEL_OPTIONS, ...options.channelOptions });
  const pipeline = createCallPipeline(options);
  const health = new HealthImplementation({ "": "NOT_SERVING" });
  const services: DescService[] = [];
  const bindings: BoundService[] = [];
  let started = false;
  let bound = false;
  let draining = false;
  let readinessTimer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;
  let lastServing: ServingStatus | undefined;

  function register<S extends DescService>(service: S, impl: ServiceImpl<S>, policy: ServicePolicy<S>): void {
    if (started) throw new Error(`cannot register ${service.typeName} after start`);
    if (services.some((s) => s.typeName === service.typeName)) {
      throw new Error(`${service.typeName} registered twice`);
    }
    const binding = pipeline.bind(service, impl, policy);
    const handlers: UntypedServiceImplementation = {};
    for (const method of binding.methods) {
      handlers[method.runtime.method.localName] = makeHandler(method, pipeline.execute);
    }
    server.addService(serviceDefinition(service), handlers);
    services.push(service);
    bindings.push(binding);
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
    pipeline,
    registered: () => bindings,
  };
}

function makeHandler({ runtime, fn }: BoundMethod, execute: Executor): UntypedHandleCall {
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
