// The transports contract tests run every case over: the gRPC port with the grpc-js client, and the
// Connect port (the same services through the same call pipeline) with a Connect client speaking JSON
// over HTTP/1.1, as curl and browsers do. Both clients have the same TypedClient shape and fail with
// the same GrpcCallError, so a case's assertions do not change with the transport.
import type { DescService } from "@bufbuild/protobuf";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  createClient,
  createConnectClient,
  type GrpcServer,
  startApiServers,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";

export interface ContractTransport {
  /** For test names: "gRPC", "Connect JSON over HTTP/1.1". */
  readonly name: string;
  readonly kind: "grpc" | "connect-json-http1";
}

export const CONTRACT_TRANSPORTS: readonly ContractTransport[] = [
  { name: "gRPC", kind: "grpc" },
  { name: "Connect JSON over HTTP/1.1", kind: "connect-json-http1" },
];

export interface ContractEndpoint {
  /** A client of one of the server's services over the transport; no retries. */
  client<S extends DescService>(service: S): TypedClient<S>;
  /** Closes the clients and drains both ports. */
  close(): Promise<void>;
}

/** Starts the server's gRPC and Connect ports on 127.0.0.1 (any free port); call after register. */
export async function startContractEndpoint(
  server: GrpcServer,
  transport: ContractTransport,
): Promise<ContractEndpoint> {
  const api = await startApiServers(server, {
    logger: createLogger({ service: "contract-endpoint", level: "silent" }),
    host: "127.0.0.1",
    grpcPort: 0,
    httpPort: 0,
  });
  const clients: { close(): void }[] = [];
  const connect = createConnectTransport({ baseUrl: `http://127.0.0.1:${api.httpPort}`, httpVersion: "1.1" });
  return {
    client(service) {
      const client =
        transport.kind === "grpc"
          ? createClient(service, `127.0.0.1:${api.grpcPort}`, { retry: { maxAttempts: 1 } })
          : createConnectClient(service, connect);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      await api.shutdown(1_000);
    },
  };
}
