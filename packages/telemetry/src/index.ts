// Light on purpose (the OpenTelemetry API and W3C propagator only): every package that makes spans
// imports this. The SDK is "@stockroom/telemetry/sdk" (services' main.ts), the in-memory exporter
// "@stockroom/telemetry/testing".
export {
  contextFromTraceparent,
  inSpan,
  type ManualSpan,
  SpanKind,
  type SpanOptions,
  setTracingEnabled,
  startSpan,
  traceIdOf,
  traceparentOf,
  tracingEnabled,
} from "./trace-context.ts";
