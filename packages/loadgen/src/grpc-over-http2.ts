// gRPC unary calls spoken directly over node:http2: the request headers and framing the grpc-js client
// sends, and a call counts as done only when grpc-status 0 arrives after a response message. Responses
// are not decoded. Several times cheaper per call than grpc-js's client stack (docs/performance.md), so a
// benchmark's load generator does not eat the cores the server is measured on.
import { type ClientHttp2Session, connect } from "node:http2";

export interface GrpcOverHttp2 {
  /** Sends one unary call to `path` (/package.Service/Method) with the encoded request message. */
  unary(path: string, message: Uint8Array): Promise<void>;
  close(): void;
}

export class GrpcCallError extends Error {
  readonly grpcStatus: string | undefined;
  readonly grpcMessage: string | undefined;

  constructor(grpcStatus: string | undefined, grpcMessage: string | undefined) {
    super(`grpc-status ${grpcStatus ?? "(none)"}: ${grpcMessage ?? ""}`);
    this.name = "GrpcCallError";
    this.grpcStatus = grpcStatus;
    this.grpcMessage = grpcMessage;
  }
}

export function grpcOverHttp2(
  address: string,
  options: { token?: string; timeoutSeconds?: number } = {},
): GrpcOverHttp2 {
  const session: ClientHttp2Session = connect(`http://${address}`);
  // A failed connection fails the calls on it; the session's own error must not crash the process.
  session.on("error", () => undefined);
  const headers: Record<string, string> = {
    ":method": "POST",
    "content-type": "application/grpc",
    te: "trailers",
    "grpc-timeout": `${options.timeoutSeconds ?? 10}S`,
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return {
    unary(path, message) {
      const frame = Buffer.allocUnsafe(5 + message.length);
      frame.writeUInt8(0, 0);
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      return new Promise((resolve, reject) => {
        const stream = session.request({ ...headers, ":path": path });
        let received = 0;
        let grpcStatus: string | undefined;
        let grpcMessage: string | undefined;
        const statusFrom = (fields: Record<string, unknown>) => {
          if (fields["grpc-status"] !== undefined) grpcStatus = String(fields["grpc-status"]);
          if (fields["grpc-message"] !== undefined)
            grpcMessage = decodeURIComponent(String(fields["grpc-message"]));
        };
        // A failing call may answer with headers only ("trailers-only"), carrying grpc-status there.
        stream.on("response", statusFrom);
        stream.on("trailers", statusFrom);
        stream.on("data", (chunk: Buffer) => {
          received += chunk.length;
        });
        stream.on("error", reject);
        stream.on("close", () => {
          if (grpcStatus === "0" && received >= 5) resolve();
          else reject(new GrpcCallError(grpcStatus, grpcMessage));
        });
        stream.end(frame);
      });
    },
    close: () => session.close(),
  };
}
