// createClient: a typed grpc-js client for a protobuf-es service. Every call has a deadline; only
// UNAVAILABLE is retried (the request never reached a handler, or the server is draining), with
// exponential backoff and full jitter, and only for unary calls whose request can be resent.
import { setTimeout as sleep } from "node:timers/promises";
import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  credentials,
  type CallOptions as GrpcCallOptions,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { type CallLimits, ErrorReason } from "@stockroom/errors";
import type { ErrorDetail } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
import { traceparentOf } from "@stockroom/telemetry";
import { boundsWithin, callerStopOr } from "./caller-limits.ts";
import { errorDetailFrom, type StatusDetails, statusDetailsFrom } from "./error-status.ts";
import { methodDefinition } from "./service-definition.ts";

export interface CallOptions {
  /** Overrides the client's default deadline for this call (covers all retry attempts). */
  deadlineMs?: number;
  /** Extra request metadata (e.g. x-request-id, traceparent to propagate). */
  metadata?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * The limits of the caller this call is made for (a RequestContext): the call's deadline becomes the
   * caller's remaining time when that is shorter, it is cancelled when the caller goes, and it fails with
   * the caller's DEADLINE_EXCEEDED or CANCELLED then. A caller that has already gone makes no call.
   */
  limits?: CallLimits | undefined;
  /** Called with the trailing metadata of a unary call (e.g. to read x-request-id), on success or failure. */
  onTrailers?: (metadata: Metadata) => void;
}

export interface RetryOptions {
  /** Total attempts including the first; 1 disables retries. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface ClientOptions {
  /** Defaults to 5000 ms. */
  defaultDeadlineMs?: number;
  /** Bearer token for every call: a fixed string or a function (e.g. a service token refresher). */
  token?: string | (() => string | Promise<string>);
  retry?: Partial<RetryOptions>;
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
}

type ClientMethod<M extends DescMethod> = M extends {
  methodKind: infer K;
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? K extends "unary"
    ? (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>
    : K extends "server_streaming"
      ? (request: MessageInitShape<I>, options?: CallOptions) => AsyncIterable<MessageShape<O>>
      : K extends "client_streaming"
        ? (
            requests: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
            options?: CallOptions,
          ) => Promise<MessageShape<O>>
        : (
            requests: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
            options?: CallOptions,
          ) => AsyncIterable<MessageShape<O>>
  : never;

export type TypedClient<S extends DescService> = {
  [K in keyof S["method"]]: ClientMethod<S["method"][K]>;
} & { close(): void };

/** A failed call: the status code, its message, and the server's decoded ErrorDetail if it sent one. */
export class GrpcCallError extends Error {
  override readonly name = "GrpcCallError";
  readonly code: status;
  readonly details: string;
  readonly metadata: Metadata;
  readonly errorDetail: ErrorDetail | undefined;

  constructor(code: status, details: string, metadata: Metadata) {
    super(`${status[code] ?? code}: ${details}`);
    this.code = code;
    this.details = details;
    this.metadata = metadata;
    this.errorDetail = errorDetailFrom(metadata);
  }

  get reason(): ErrorReason {
    return this.errorDetail?.reason ?? ErrorReason.UNSPECIFIED;
  }

  /** The google.rpc.Status the server sent in grpc-status-details-bin, with its decoded details. */
  get statusDetails(): StatusDetails | undefined {
    return statusDetailsFrom(this.metadata);
  }
}

export function isGrpcCallError(err: unknown): err is GrpcCallError {
  return err instanceof GrpcCallError;
}

const DEFAULT_RETRY: RetryOptions = { maxAttempts: 4, initialBackoffMs: 50, maxBackoffMs: 2_000 };

const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  // Our own retry policy below is the only one; grpc-js transparent retries would double it.
  "grpc.enable_retries": 0,
};

export function createClient<S extends DescService>(
  service: S,
  address: string,
  options: ClientOptions = {},
): TypedClient<S> {
  const client = new Client(address, options.credentials ?? credentials.createInsecure(), {
    ...DEFAULT_CHANNEL_OPTIONS,
    ...options.channelOptions,
  });
  const defaultDeadlineMs = options.defaultDeadlineMs ?? 5_000;
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };

  async function prepare(callOptions: CallOptions | undefined) {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(callOptions?.metadata ?? {})) metadata.set(key, value);
    // The active span (tracing on) continues on the server unless the caller named a traceparent.
    const traceparent = metadata.get("traceparent").length === 0 ? traceparentOf() : undefined;
    if (traceparent !== undefined) metadata.set("traceparent", traceparent);
    const token = typeof options.token === "function" ? await options.token() : options.token;
    if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
    const bounds = boundsWithin(
      callOptions?.deadlineMs ?? defaultDeadlineMs,
      callOptions?.signal,
      callOptions?.limits,
    );
    return { metadata, deadline: new Date(Date.now() + bounds.deadlineMs), signal: bounds.signal };
  }

  const typed: Record<string, unknown> = { close: () => client.close() };
  for (const method of service.methods) {
    const definition = methodDefinition(service, method);
    const serialize = definition.requestSerialize;
    const deserialize = definition.responseDeserialize;
    switch (method.methodKind) {
      case "unary":
        typed[method.localName] = async (request: unknown, callOptions?: CallOptions) => {
          const { metadata, deadline, signal } = await prepare(callOptions);
          return withRetry(retry, deadline, signal, () =>
            unaryAttempt(
              client,
              definition.path,
              serialize,
              deserialize,
              request,
              metadata,
              deadline,
              signal,
              callOptions?.onTrailers,
            ),
          ).catch((err: unknown) => {
            throw callerStopOr(err, callOptions?.limits);
          });
        };
        break;
      case "server_streaming":
        typed[method.localName] = (request: unknown, callOptions?: CallOptions) =>
          streamResponses(async () => {
            const { metadata, deadline, signal } = await prepare(callOptions);
            const call = client.makeServerStreamRequest(
              definition.path,
              serialize,
              deserialize,
              request,
              metadata,
              {
                deadline,
              },
            );
            cancelOnAbort(call, signal);
            return call;
          });
        break;
      case "client_streaming":
        typed[method.localName] = async (requests: AsyncIterable<unknown>, callOptions?: CallOptions) => {
          const { metadata, deadline, signal } = await prepare(callOptions);
          return new Promise((resolve, reject) => {
            const call = client.makeClientStreamRequest(
              definition.path,
              serialize,
              deserialize,
              metadata,
              { deadline },
              (err, value) => (err ? reject(toCallError(err)) : resolve(value)),
            );
            cancelOnAbort(call, signal);
            void pump(requests, call);
          });
        };
        break;
      case "bidi_streaming":
        typed[method.localName] = (requests: AsyncIterable<unknown>, callOptions?: CallOptions) =>
          streamResponses(async () => {
            const { metadata, deadline, signal } = await prepare(callOptions);
            const call = client.makeBidiStreamRequest(definition.path, serialize, deserialize, metadata, {
              deadline,
            });
            cancelOnAbort(call, signal);
            void pump(requests, call);
            return call;
          });
        break;
    }
  }
  return typed as TypedClient<S>;
}

function unaryAttempt(
  client: Client,
  path: string,
  serialize: (value: unknown) => Buffer,
  deserialize: (bytes: Buffer) => unknown,
  request: unknown,
  metadata: Metadata,
  deadline: Date,
  signal: AbortSignal | undefined,
  onTrailers: ((metadata: Metadata) => void) | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callOptions: GrpcCallOptions = { deadline };
    const call = client.makeUnaryRequest(
      path,
      serialize,
      deserialize,
      request,
      metadata,
      callOptions,
      (err, value) => (err ? reject(toCallError(err)) : resolve(value)),
    );
    if (onTrailers !== undefined) call.on("status", (s) => onTrailers(s.metadata));
    cancelOnAbort(call, signal);
  });
}

async function withRetry<T>(
  retry: RetryOptions,
  deadline: Date,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let attemptNo = 1; ; attemptNo++) {
    try {
      return await attempt();
    } catch (err) {
      if (
        !(err instanceof GrpcCallError) ||
        err.code !== status.UNAVAILABLE ||
        attemptNo >= retry.maxAttempts
      ) {
        throw err;
      }
      // Full jitter: spreads retries of many clients after a shared outage.
      const ceiling = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * 2 ** (attemptNo - 1));
      const backoffMs = Math.random() * ceiling;
      if (Date.now() + backoffMs >= deadline.getTime() || signal?.aborted) throw err;
      await sleep(backoffMs, undefined, signal ? { signal } : undefined).catch(() => {
        throw err;
      });
    }
  }
}

function toCallError(err: ServiceError | Error): GrpcCallError {
  const serviceError = err as Partial<ServiceError>;
  if (typeof serviceError.code === "number") {
    return new GrpcCallError(
      serviceError.code,
      serviceError.details ?? err.message,
      serviceError.metadata ?? new Metadata(),
    );
  }
  return new GrpcCallError(status.UNKNOWN, err.message, new Metadata());
}

function cancelOnAbort(call: { cancel(): void }, signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  if (signal.aborted) call.cancel();
  else signal.addEventListener("abort", () => call.cancel(), { once: true });
}

async function pump(
  requests: AsyncIterable<unknown> | Iterable<unknown>,
  call: {
    write(message: unknown): boolean;
    end(): void;
    once(event: "drain", l: () => void): unknown;
    cancel(): void;
  },
): Promise<void> {
  try {
    for await (const request of requests) {
      if (!call.write(request)) await new Promise<void>((resolve) => call.once("drain", resolve));
    }
    call.end();
  } catch {
    // The request source failed: there is no sound way to finish the call, so abandon it.
    call.cancel();
  }
}

// Wraps a grpc-js readable call as an async iterable whose errors are GrpcCallErrors.
async function* streamResponses(open: () => Promise<AsyncIterable<unknown> & { cancel(): void }>) {
  const call = await open();
  try {
    for await (const message of call) yield message;
  } catch (err) {
    throw toCallError(err as ServiceError);
  } finally {
    // Stopping iteration early must end the call, not leave it streaming into a buffer.
    call.cancel();
  }
}
