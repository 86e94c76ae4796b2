// Tracing for a service process, configured by the standard OpenTelemetry environment: on only when
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) names a collector, exporting spans
// over OTLP/HTTP; OTEL_SDK_DISABLED=true keeps it off. The SDK registers the context manager (async
// hooks) and the W3C propagator; our spans (trace-context.ts) and the gRPC, transaction, outbox, relay
// and consumer spans of the packages then record.
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { setTracingEnabled } from "./trace-context.ts";

export interface Telemetry {
  readonly enabled: boolean;
  /** Flushes spans not yet exported and stops the SDK. */
  shutdown(): Promise<void>;
}

export function startTelemetry(service: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === "true") return { enabled: false, shutdown: async () => {} };
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || service,
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [],
  });
  sdk.start();
  setTracingEnabled(true);
  return {
    enabled: true,
    async shutdown() {
      setTracingEnabled(false);
      await sdk.shutdown();
    },
  };
}
