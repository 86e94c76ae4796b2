// A service as a real process (node src/main.ts) with its own schema, topics, consumer group and free
// ports, its stdout and stderr kept line by line (the shape of the catalog's test support).
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const SERVICES_DIR = fileURLToPath(new URL("../../../", import.meta.url));

export interface ServiceProcess {
  readonly grpcAddress: string;
  readonly stdout: string[];
  waitForLog(msg: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export async function startServiceProcess(
  name: "review" | "catalog",
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const [grpcPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const prefix = `${name.toUpperCase()}_`;
  const prefixed = Object.fromEntries(
    Object.entries({
      ...env,
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(httpPort),
      METRICS_PORT: String(metricsPort),
    }).map(([key, value]) => [`${prefix}${key}`, value]),
  );
  const child = spawn(process.execPath, ["src/main.ts"], {
    cwd: `${SERVICES_DIR}${name}`,
    env: { ...process.env, NODE_OPTIONS: "", LOG_LEVEL: "info", STOCKROOM_ENV: "development", ...prefixed },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const service = watch(name, child, `127.0.0.1:${grpcPort}`);
  await service.waitForLog(`${name} started`, 60_000);
  return service;
}

function watch(name: string, child: ChildProcess, grpcAddress: string): ServiceProcess {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (into: string[]) => {
    let partial = "";
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      into.push(...lines);
    };
  };
  child.stdout?.on("data", collect(stdout));
  child.stderr?.on("data", collect(stderr));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    grpcAddress,
    stdout,
    async waitForLog(msg, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!stdout.some((line) => line.includes(`"msg":"${msg}"`))) {
        if (child.exitCode !== null)
          throw new Error(`${name} exited (${child.exitCode}):\n${tail(stdout, stderr)}`);
        if (Date.now() > deadline)
          throw new Error(`${name}: no "${msg}" log within ${timeoutMs} ms\n${tail(stdout, stderr)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

function tail(stdout: readonly string[], stderr: readonly string[]): string {
  return [...stdout.slice(-10), ...stderr.slice(-10)].join("\n");
}
