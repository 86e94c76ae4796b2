// The trace and span ids of the active OpenTelemetry span, for log lines; undefined without one (tracing
// off: no context manager is registered and the active context holds no span).
import { context, trace } from "@opentelemetry/api";

export function activeSpanIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { traceId, spanId } : undefined;
}
