// An in-process EchoService server and client for the plumbing tests.
import { createTokenIssuer, createTokenVerifier, type TokenIssuer } from "@stockroom/auth";
import { createLogger } from "@stockroom/logging";
import { EchoService } from "@stockroom/proto/stockroom/testing/v1/echo_pb.js";
import { Registry } from "prom-client";
import {
  type ClientOptions,
  createClient,
  createGrpcServer,
  type GrpcServer,
  type ServiceImpl,
  type ServicePolicy,
  type TypedClient,
} from "../src/index.ts";

export const secret = "grpc-test-secret-that-is-long-enough-32";
const issuer = "stockroom-test";
const audience = "stockroom";

export const echoPolicy: ServicePolicy<typeof EchoService> = {
  echo: ["ops", "admin"],
  publicEcho: "public",
  echoStream: ["ops"],
  echoCollect: ["ops"],
  echoChat: ["ops"],
};

export interface TestServer {
  server: GrpcServer;
  address: string;
  registry: Registry;
  logLines: Record<string, unknown>[];
  tokens: TokenIssuer;
  client(options?: ClientOptions): TypedClient<typeof EchoService>;
  close(): Promise<void>;
}

export async function startEchoServer(impl: ServiceImpl<typeof EchoService>): Promise<TestServer> {
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: "grpc-test",
    level: "debug",
    destination: { write: (line: string) => void logLines.push(JSON.parse(line)) },
  });
  const registry = new Registry();
  const server = createGrpcServer({
    logger,
    registry,
    verifier: createTokenVerifier({ secret, issuer, audience }),
  });
  server.register(EchoService, impl, echoPolicy);
  const port = await server.start("127.0.0.1:0");
  const address = `127.0.0.1:${port}`;
  const tokens = createTokenIssuer({ secret, issuer, audience });
  const clients: TypedClient<typeof EchoService>[] = [];
  return {
    server,
    address,
    registry,
    logLines,
    tokens,
    client(options) {
      const client = createClient(EchoService, address, options);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      await server.shutdown(1_000);
    },
  };
}

export function echoImpl(
  overrides: Partial<ServiceImpl<typeof EchoService>> = {},
): ServiceImpl<typeof EchoService> {
  return {
    async echo(req, ctx) {
      return { message: req.message, subject: ctx.principal?.subject ?? "", requestId: ctx.requestId };
    },
    async publicEcho(req) {
      return { message: req.message };
    },
    async *echoStream(req) {
      for (let index = 0; index < req.count; index++) yield { message: req.message, index };
    },
    async echoCollect(requests) {
      const messages: string[] = [];
      for await (const req of requests) messages.push(req.message);
      return { messages };
    },
    async *echoChat(requests) {
      for await (const req of requests) yield { message: `re: ${req.message}` };
    },
    ...overrides,
  };
}
