// The whole suite as real processes (node src/main.ts) for the end-to-end walk: warehouse, catalog,
// payment sandbox, order, fulfillment and review, each on a throwaway schema, every port it binds free,
// every topic and consumer group under one test prefix, their output kept for a failing step's message.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { fromBinary } from "@bufbuild/protobuf";
import { createTokenIssuer, type Role } from "@stockroom/auth";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import type { Kafka } from "kafkajs";

const SERVICES_DIR = fileURLToPath(new URL("../../../", import.meta.url));

export const SUITE_JWT = {
  secret: "e2e-suite-secret-e2e-suite-secret-0123456789",
  issuer: "stockroom",
  audience: "stockroom",
};

export interface SuiteProcess {
  readonly name: string;
  readonly grpcAddress: string;
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

// Starts services/<name> with its <NAME>_-prefixed env (free gRPC, HTTP and metrics ports added, plus
// any extra port names given) and waits for its "<name> started" log line.
export async function startSuiteProcess(
  name: "warehouse" | "catalog" | "order" | "fulfillment" | "review",
  env: Record<string, string>,
  extraPorts: readonly string[] = [],
): Promise<SuiteProcess> {
  const ports: Record<string, string> = {};
  for (const key of ["GRPC_PORT", "HTTP_PORT", "METRICS_PORT", ...extraPorts]) {
    ports[key] = String(await freePort());
  }
  const prefix = `${name.toUpperCase()}_`;
  const prefixed = Object.fromEntries(
    Object.entries({ ...env, ...ports }).map(([key, value]) => [`${prefix}${key}`, value]),
  );
  const child = spawn(process.execPath, ["src/main.ts"], {
    cwd: `${SERVICES_DIR}${name}`,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      STOCKROOM_ENV: "development",
      JWT_SECRET: SUITE_JWT.secret,
      ...prefixed,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString("utf8");
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString("utf8");
  });
  const service: SuiteProcess = {
    name,
    grpcAddress: `127.0.0.1:${ports.GRPC_PORT}`,
    output: () => output,
    stop: () => stopChild(child),
  };
  const deadline = Date.now() + 60_000;
  while (!output.includes(`"msg":"${name} started"`)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited at start:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`${name} did not start:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return service;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

// Call metadata with a real token of the role, for the subject (a customer for the storefront's calls).
export async function suiteCaller(
  role: Role,
  subject: string,
): Promise<{ metadata: Record<string, string> }> {
  const issuer = createTokenIssuer(SUITE_JWT);
  const token = await issuer.issue({ subject, roles: [role], ttlSec: 3600 });
  return { metadata: { authorization: `Bearer ${token}` } };
}

// Every event type published on the topic for one aggregate, in order, read from the beginning by a
// consumer group of its own, until `expected` are all there (or the timeout: then what was seen).
export async function eventTypesOf(
  kafka: Kafka,
  topic: string,
  aggregateId: string,
  expected: readonly string[],
  timeoutMs = 30_000,
): Promise<string[]> {
  const seen: string[] = [];
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (!message.value) return;
          const envelope = fromBinary(EventEnvelopeSchema, message.value);
          if (envelope.aggregateId !== aggregateId) return;
          seen.push(envelope.eventType);
          if (expected.every((type) => seen.includes(type))) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
