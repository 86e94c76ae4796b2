// The per-call pipeline every transport runs (gRPC in server.ts, Connect in connect-server.ts): request
// and trace ids, the deadline check, authentication and the method's policy, the call context, the
// handler, then one error mapping, one log line and the RPC metrics. A transport adapts its call to
// PipelineCall and turns the Outcome into its own response.
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Metadata, status } from "@grpc/grpc-js";
import {
  assertCompletePolicy,
  authorize,
  type MethodPolicy,
  type Principal,
  type TokenVerifier,
} from "@stockroom/auth";
import { cancelled, deadlineExceeded, unauthenticated } from "@stockroom/errors";
import { type Logger, runWithLogContext } from "@stockroom/logging";
import { createRpcMetrics, observeRpc, observeRpcStart, type RpcMetrics } from "@stockroom/metrics";
import { contextFromTraceparent, inSpan, SpanKind, traceIdOf, traceparentOf } from "@stockroom/telemetry";
import type { Registry } from "prom-client";
import { bearerTokenFrom, type CallContext, deadlineFrom, requestIdFrom, traceFrom } from "./call-context.ts";
import { type GrpcStatus, toGrpcStatus } from "./error-status.ts";
import { methodPath } from "./service-definition.ts";
import type { ServiceImpl, ServicePolicy } from "./service-types.ts";

// Success and failure both send the request id back in the trailers, so a client can quote it.
export type Outcome<T> = { ok: true; value: T; trailer: Metadata } | { ok: false; status: GrpcStatus };

export interface MethodRuntime {
  service: DescService;
  method: DescMethod;
  policy: MethodPolicy;
  path: string;
  /** The RPC metrics' labels of this method. */
  labels: { service: string; method: string };
}

/** What the pipeline needs of a call, whatever its transport (grpc-js calls have this shape). */
export interface PipelineCall {
  /** The request headers (for Connect: HTTP headers, -bin values decoded). */
  metadata: Metadata;
  cancelled: boolean;
  /** Infinity when the client set none. */
  getDeadline(): Date | number;
  on(event: "cancelled", listener: () => void): unknown;
  off(event: "cancelled", listener: () => void): unknown;
}

export type MethodFn = (...args: unknown[]) => unknown;

/** A method of a registered service: its runtime facts and its handler, bound to the implementation. */
export interface BoundMethod {
  runtime: MethodRuntime;
  fn: MethodFn;
}

export interface BoundService {
  service: DescService;
  methods: readonly BoundMethod[];
}

export type Executor = <T>(
  runtime: MethodRuntime,
  call: PipelineCall,
  body: (ctx: CallContext) => Promise<T>,
) => Promise<Outcome<T>>;

export interface CallPipeline {
  execute: Executor;
  /** Throws unless the policy names every method and the implementation has every method. */
  bind<S extends DescService>(service: S, impl: ServiceImpl<S>, policy: ServicePolicy<S>): BoundService;
}

export interface CallPipelineOptions {
  logger: Logger;
  verifier: TokenVerifier;
  /** The RPC metrics are registered here, once per process: every transport shares them. */
  registry: Registry;
}

export function createCallPipeline(options: CallPipelineOptions): CallPipeline {
  const metrics = createRpcMetrics(options.registry);
  return {
    execute: createCallExecutor(options.logger, options.verifier, metrics),
    bind: bindService,
  };
}

function bindService<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  policy: ServicePolicy<S>,
): BoundService {
  assertCompletePolicy(
    service.typeName,
    service.methods.map((m) => m.localName),
    policy,
  );
  const implementation = impl as unknown as Record<string, MethodFn>;
  const methods = service.methods.map((method): BoundMethod => {
    const fn = implementation[method.localName];
    if (typeof fn !== "function")
      throw new Error(`${service.typeName}: no implementation for ${method.name}`);
    return {
      runtime: {
        service,
        method,
        policy: (policy as Record<string, MethodPolicy>)[method.localName] as MethodPolicy,
        path: methodPath(service, method),
        labels: { service: service.typeName, method: method.name },
      },
      fn: fn.bind(impl),
    };
  });
  return { service, methods };
}

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
    call: PipelineCall,
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
    const deadline = deadlineFrom(call.getDeadline());
    // What the client allowed the call when it arrived (logged: a caller's budget reaching the work).
    const timeoutMs = deadline === undefined ? undefined : deadline.getTime() - Date.now();
    let controller: AbortController | undefined;
    // The reason is the error work stopped for this call throws (CallLimits): the transport cancels a
    // call when its deadline passes as well as when the client goes.
    const onCancelled = () => controller?.abort(stopReason(deadline, timeoutMs));
    const callSignal = () => {
      if (controller === undefined) {
        controller = new AbortController();
        if (call.cancelled) onCancelled();
        else call.on("cancelled", onCancelled);
      }
      return controller.signal;
    };
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
      // The handler finished after the client stopped waiting (its deadline passed, or it cancelled):
      // the client got that status, not this answer, and the log and metrics say what it got.
      const code = call.cancelled ? cancelledCode(deadline, timeoutMs) : "OK";
      observeRpc(metrics, { ...runtime.labels, code, seconds });
      if (baseLogger.isLevelEnabled("info")) {
        const fields = { code, durationMs: Math.round(seconds * 1000), timeoutMs };
        if (code === "OK") callLogger().info(fields, "rpc handled");
        else
          callLogger().info(
            { ...fields, message: "finished after the client stopped waiting" },
            "rpc handled",
          );
      }
      const trailer = new Metadata();
      trailer.set("x-request-id", requestId);
      return { ok: true, value, trailer };
    } catch (err) {
      const mapped = toGrpcStatus(err, requestId);
      mapped.metadata.set("x-request-id", requestId);
      // A client that went away gets nothing; record why it ended, not what the handler threw.
      const code = call.cancelled ? cancelledCode(deadline, timeoutMs) : status[mapped.code];
      const seconds = elapsed();
      observeRpc(metrics, { ...runtime.labels, code: code ?? "UNKNOWN", seconds });
      const fields = { code, durationMs: Math.round(seconds * 1000), timeoutMs };
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

// A client whose deadline passes cancels the call from its side a little before the server's own
// deadline (reckoned from the call's arrival) passes: by the time the request took to arrive and be
// read, which a loaded event loop stretches. A cancel that close to the deadline is the deadline's.
function cancelledCode(
  deadline: Date | undefined,
  timeoutMs: number | undefined,
): "DEADLINE_EXCEEDED" | "CANCELLED" {
  if (deadline === undefined) return "CANCELLED";
  const slackMs = Math.min(MAX_DEADLINE_SLACK_MS, Math.max(MIN_DEADLINE_SLACK_MS, (timeoutMs ?? 0) * 0.2));
  return deadline.getTime() - slackMs <= Date.now() ? "DEADLINE_EXCEEDED" : "CANCELLED";
}

const MIN_DEADLINE_SLACK_MS = 100;
const MAX_DEADLINE_SLACK_MS = 1_000;

function stopReason(deadline: Date | undefined, timeoutMs: number | undefined) {
  return cancelledCode(deadline, timeoutMs) === "DEADLINE_EXCEEDED"
    ? deadlineExceeded("the call's deadline passed")
    : cancelled("the client cancelled the call");
}
