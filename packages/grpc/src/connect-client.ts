// createConnectClient: the TypedClient of createClient (client.ts), calling a service's Connect port
// through a @connectrpc/connect transport instead of grpc-js: the same method shapes, and failures as
// the same GrpcCallError (code, message, ErrorDetail, google.rpc.Status details). Contract tests run their
// cases over both; a tool that can only reach the HTTP port can use it too. No retries: it is not the
// service-to-service client.
import type { DescService } from "@bufbuild/protobuf";
import { ConnectError, createClient as createConnectRpcClient, type Transport } from "@connectrpc/connect";
import { Metadata } from "@grpc/grpc-js";
import { boundsWithin } from "./caller-limits.ts";
import type { CallOptions, TypedClient } from "./client.ts";
import { grpcCallErrorFrom } from "./connect-error.ts";

export interface ConnectClientOptions {
  /** Defaults to 5000 ms. */
  defaultDeadlineMs?: number;
  /** Bearer token for every call: a fixed string or a function. */
  token?: string | (() => string | Promise<string>);
}

type AnyMethod = (input: unknown, options: object) => unknown;

export function createConnectClient<S extends DescService>(
  service: S,
  transport: Transport,
  options: ConnectClientOptions = {},
): TypedClient<S> {
  const client = createConnectRpcClient(service, transport) as unknown as Record<string, AnyMethod>;
  const defaultDeadlineMs = options.defaultDeadlineMs ?? 5_000;

  async function prepare(callOptions: CallOptions | undefined) {
    const headers = new Headers(callOptions?.metadata ?? {});
    const token = typeof options.token === "function" ? await options.token() : options.token;
    if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
    const onTrailers = callOptions?.onTrailers;
    const bounds = boundsWithin(
      callOptions?.deadlineMs ?? defaultDeadlineMs,
      callOptions?.signal,
      callOptions?.limits,
    );
    return {
      headers,
      timeoutMs: bounds.deadlineMs,
      signal: bounds.signal,
      // Unary Connect responses carry the request id as a header; gRPC as a trailer.
      onHeader: onTrailers && ((h: Headers) => onTrailers(metadataOf(h))),
    };
  }

  const typed: Record<string, unknown> = { close: () => undefined };
  for (const method of service.methods) {
    const call = client[method.localName] as AnyMethod;
    switch (method.methodKind) {
      case "unary":
      case "client_streaming":
        typed[method.localName] = async (input: unknown, callOptions?: CallOptions) => {
          const prepared = await prepare(callOptions);
          const request = method.methodKind === "unary" ? input : asyncIterable(input);
          try {
            return await call(request, prepared);
          } catch (err) {
            throw grpcCallErrorFrom(ConnectError.from(err));
          }
        };
        break;
      case "server_streaming":
      case "bidi_streaming":
        typed[method.localName] = async function* (input: unknown, callOptions?: CallOptions) {
          const prepared = await prepare(callOptions);
          const request = method.methodKind === "server_streaming" ? input : asyncIterable(input);
          try {
            yield* call(request, prepared) as AsyncIterable<unknown>;
          } catch (err) {
            throw grpcCallErrorFrom(ConnectError.from(err));
          }
        };
        break;
    }
  }
  return typed as TypedClient<S>;
}

async function* asyncIterable(input: unknown): AsyncIterable<unknown> {
  yield* input as AsyncIterable<unknown> | Iterable<unknown>;
}

function metadataOf(headers: Headers): Metadata {
  const metadata = new Metadata();
  const requestId = headers.get("x-request-id");
  if (requestId !== null) metadata.set("x-request-id", requestId);
  return metadata;
}
