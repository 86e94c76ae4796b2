// W3C trace context across our hops (gRPC metadata, outbox rows, Kafka headers) and spans of our own.
// Spans are made only once tracing is on (startTelemetry, or startInMemoryTracing in tests): with it off,
// inSpan runs its function directly, so hot paths pay one branch.
import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

export { SpanKind };

const w3c = new W3CTraceContextPropagator();
const TRACER = "stockroom";
let enabled = false;

/** Called by whatever registered a tracer provider and context manager. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/** The traceparent header of ctx's span (default: the active one), or undefined without one. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/** The trace id (32 hex) of a traceparent header, or undefined when it is not one. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  if (!traceparent) return undefined;
  const spanContext = trace.getSpanContext(contextFromTraceparent(traceparent));
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** parent continued by a remote traceparent (a caller's, an outbox row's); parent itself without one. */
export function contextFromTraceparent(
  traceparent: string | undefined,
  parent: Context = ROOT_CONTEXT,
): Context {
  if (!traceparent) return parent;
  return w3c.extract(parent, { traceparent }, defaultTextMapGetter);
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** Default: the active context. */
  readonly parent?: Context;
}

/** Runs fn in a new active span (when tracing is on), ended when fn settles; an error marks it failed. */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!enabled) return fn(undefined);
  const { kind = SpanKind.INTERNAL, attributes, parent = context.active() } = options;
  return trace.getTracer(TRACER).startActiveSpan(name, { kind, attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: err instanceof Error ? err.message : String(err),
      });
      throw err;
    } finally {
      span.end();
    }
  });
}

export interface ManualSpan {
  /** The span's own traceparent, for the hop it starts (a Kafka message's header). */
  readonly traceparent: string | undefined;
  end(error?: unknown): void;
}

/** A span the caller ends itself (one per relayed row, ended when its batch is acked). */
export function startSpan(name: string, options: SpanOptions): ManualSpan | undefined {
  if (!enabled) return undefined;
  const { kind = SpanKind.INTERNAL, attributes, parent = context.active() } = options;
  const span = trace.getTracer(TRACER).startSpan(name, { kind, attributes }, parent);
  return {
    traceparent: traceparentOf(trace.setSpan(parent, span)),
    end(error) {
      if (error !== undefined) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      span.end();
    },
  };
}
