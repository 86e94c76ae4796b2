// Types tying a protobuf-es DescService to the shape of its server implementation and its client.
import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import type { Policy } from "@stockroom/auth";
import type { CallContext } from "./call-context.ts";
import type { EncodedMessage } from "./encoded-message.ts";

// What a handler answers: a message (or its init shape), encoded per call, or bytes it encoded before.
type Response<O extends DescMessage> = MessageInitShape<O> | EncodedMessage<O>;

type Unary<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: CallContext,
) => Promise<Response<O>>;
type ServerStreaming<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: CallContext,
) => AsyncIterable<Response<O>>;
type ClientStreaming<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  ctx: CallContext,
) => Promise<Response<O>>;
type BidiStreaming<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  ctx: CallContext,
) => AsyncIterable<Response<O>>;

export type MethodImpl<M extends DescMethod> = M extends {
  methodKind: infer K;
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? K extends "unary"
    ? Unary<I, O>
    : K extends "server_streaming"
      ? ServerStreaming<I, O>
      : K extends "client_streaming"
        ? ClientStreaming<I, O>
        : BidiStreaming<I, O>
  : never;

// Keys are protobuf-es local method names (e.g. `reserveStock` for rpc ReserveStock).
export type ServiceImpl<S extends DescService> = {
  [K in keyof S["method"]]: MethodImpl<S["method"][K]>;
};

export type ServicePolicy<S extends DescService> = Policy<Extract<keyof S["method"], string>>;
