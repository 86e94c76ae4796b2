// The per-service HTTP listener Prometheus and Kubernetes probes talk to: /metrics, /healthz, /readyz.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface StartMetricsServerOptions {
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly host?: string;
  readonly registry: Registry;
  /** Ready to take traffic (database reachable, consumers joined, ...). Throwing counts as not ready. */
  readonly readiness?: () => Promise<boolean> | boolean;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(options: StartMetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    handleRequest(req, res, options).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  // Probes and scrapes are short; do not let idle keep-alive sockets hold close() open.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, options: StartMetricsServerOptions) {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    reply(res, 405, "method not allowed\n");
    return;
  }
  switch (path) {
    case "/metrics": {
      const body = await options.registry.metrics();
      res.writeHead(200, { "content-type": options.registry.contentType });
      res.end(body);
      return;
    }
    case "/healthz":
      // Alive means this process answers; dependencies belong to readiness, or a database blip would
      // make Kubernetes restart every pod at once.
      reply(res, 200, "ok\n");
      return;
    case "/readyz": {
      const ready = await checkReadiness(options.readiness);
      reply(res, ready ? 200 : 503, ready ? "ready\n" : "not ready\n");
      return;
    }
    default:
      reply(res, 404, "not found\n");
  }
}

async function checkReadiness(readiness: StartMetricsServerOptions["readiness"]): Promise<boolean> {
  if (!readiness) return true;
  try {
    return (await readiness()) === true;
  } catch {
    // A readiness probe that throws is a "no", reported as 503 rather than a crash.
    return false;
  }
}

function reply(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(body);
}
