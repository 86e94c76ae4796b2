// The floor of a gRPC server on this package's grpc-js: one unary method answering constant, pre-encoded
// bytes, with no auth, metrics, logging or (de)serialization. A benchmark runs it as a child process in
// place of a service and drives it with the same load, so what the service adds over it is measurable.
// Spawned with an IPC channel and BARE_SERVER_PORT, BARE_SERVER_PATH (e.g. /pkg.Service/Method) and
// BARE_SERVER_RESPONSE (the response message, base64); it sends "listening" once bound, and answers the
// message "sample" with a BareServerSample.
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { Server, ServerCredentials, type sendUnaryData } from "@grpc/grpc-js";

export interface BareServerSample {
  /** Process CPU (user + system) since start. */
  cpuSeconds: number;
  /** Time in garbage collection since start. */
  gcSeconds: number;
  /** Event-loop delay since the previous sample (like prom-client, which resets on every collection). */
  loopDelayP99Seconds: number;
  loopDelayMaxSeconds: number;
}

const port = Number(process.env.BARE_SERVER_PORT);
const path = process.env.BARE_SERVER_PATH;
const response = Buffer.from(process.env.BARE_SERVER_RESPONSE ?? "", "base64");
if (process.send === undefined || !Number.isInteger(port) || !path) {
  process.stderr.write(
    "spawn with an IPC channel, BARE_SERVER_PORT, BARE_SERVER_PATH, BARE_SERVER_RESPONSE\n",
  );
  process.exit(2);
}

// The services' server turns channelz off too (see DEFAULT_CHANNEL_OPTIONS in src/server.ts).
const server = new Server({ "grpc.enable_channelz": 0 });
const passThrough = (bytes: Buffer) => bytes;
server.addService(
  {
    call: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: passThrough,
      requestDeserialize: passThrough,
      responseSerialize: passThrough,
      responseDeserialize: passThrough,
    },
  },
  { call: (_call: unknown, callback: sendUnaryData<Buffer>) => callback(null, response) },
);

// Same resolution as prom-client's event-loop metrics, which the services report.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let gcSeconds = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcSeconds += entry.duration / 1000;
}).observe({ entryTypes: ["gc"] });

process.on("message", (message) => {
  if (message !== "sample") return;
  const cpu = process.cpuUsage();
  const sample: BareServerSample = {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    gcSeconds,
    loopDelayP99Seconds: loopDelay.percentile(99) / 1e9,
    loopDelayMaxSeconds: loopDelay.max / 1e9,
  };
  loopDelay.reset();
  process.send?.(sample);
});
// An orderly exit on SIGTERM, so flags like --cpu-prof get to write their files.
process.on("SIGTERM", () => {
  server.forceShutdown();
  process.exit(0);
});
process.on("disconnect", () => server.forceShutdown());

server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.send?.("listening");
});
