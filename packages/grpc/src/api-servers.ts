// startApiServers: what a service's main.ts calls once its services are registered: the gRPC port and,
// beside it, the Connect port (JSON and binary over HTTP/1.1 and HTTP/2, gRPC-Web) serving the same
// services through the same call pipeline; one shutdown drains both.
import type { Logger } from "@stockroom/logging";
import { createConnectServer } from "./connect-server.ts";
import type { GrpcServer } from "./server.ts";

export interface ApiServersOptions {
  logger: Logger;
  grpcPort: number;
  /** The Connect port (<SERVICE>_HTTP_PORT). */
  httpPort: number;
  /** CORS origins of the Connect port; empty: none. */
  corsAllowedOrigins?: readonly string[];
  /** Defaults to 0.0.0.0. */
  host?: string;
}

export interface ApiServers {
  grpcPort: number;
  httpPort: number;
  /** Both ports stop accepting and drain together, for up to graceMs. */
  shutdown(graceMs?: number): Promise<void>;
}

export async function startApiServers(server: GrpcServer, options: ApiServersOptions): Promise<ApiServers> {
  const host = options.host ?? "0.0.0.0";
  const connect = createConnectServer(server, {
    logger: options.logger,
    corsAllowedOrigins: options.corsAllowedOrigins ?? [],
  });
  const grpcPort = await server.start(`${host}:${options.grpcPort}`);
  const httpPort = await connect.start(host, options.httpPort);
  return {
    grpcPort,
    httpPort,
    shutdown: async (graceMs) => {
      await Promise.all([server.shutdown(graceMs), connect.shutdown(graceMs)]);
    },
  };
}
