// The image's health check, for compose and anyone without a gRPC probe: exits 0 when the target is healthy.
//   node deploy/container/health-check.ts grpc 127.0.0.1:50051   grpc.health.v1.Health/Check says SERVING
//   node deploy/container/health-check.ts http 127.0.0.1:9451    the metrics listener's /readyz answers 200
//   node deploy/container/health-check.ts http 127.0.0.1:50060 /healthz   another path (the payment sandbox)
// (Kubernetes probes the same endpoints natively.) Node's own http2 client: the image needs no probe binary.
import { connect } from "node:http2";

const TIMEOUT_MS = 3_000;
// grpc.health.v1.HealthCheckResponse with status = SERVING (field 1, varint 1).
const SERVING = Buffer.from([0x08, 0x01]);

function checkGrpc(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const session = connect(`http://${address}`);
    const done = (healthy: boolean) => {
      session.destroy();
      resolve(healthy);
    };
    session.on("error", () => done(false));
    session.setTimeout(TIMEOUT_MS, () => done(false));
    const stream = session.request({
      ":method": "POST",
      ":path": "/grpc.health.v1.Health/Check",
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("trailers", (trailers) => {
      grpcStatus = String(trailers["grpc-status"]);
    });
    stream.on("error", () => done(false));
    stream.on("end", () => {
      // One length-prefixed message: 1 byte compressed flag, 4 bytes length, then the message.
      const body = Buffer.concat(chunks);
      done(grpcStatus === "0" && body.length >= 5 && body.subarray(5).equals(SERVING));
    });
    // An empty HealthCheckRequest (service "": the server as a whole), uncompressed.
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

async function checkHttp(address: string, path: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return res.status === 200;
  } catch {
    return false;
  }
}

const [kind, address, path = "/readyz"] = process.argv.slice(2);
if ((kind !== "grpc" && kind !== "http") || !address || !path.startsWith("/")) {
  process.stderr.write("usage: node deploy/container/health-check.ts grpc|http <host:port> [/path]\n");
  process.exit(2);
}
const healthy = kind === "grpc" ? await checkGrpc(address) : await checkHttp(address, path);
process.exit(healthy ? 0 : 1);
