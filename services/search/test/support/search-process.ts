// The search service as a real process (node src/main.ts) with its environment, ports of its own and
// its stdout kept line by line, for tests that run it as deployed.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const SERVICE_DIR = fileURLToPath(new URL("../../", import.meta.url));

export interface SearchProcess {
  readonly grpcAddress: string;
  readonly stdout: string[];
  stop(): Promise<number | null>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

// Starts the service with SEARCH_-prefixed settings and resolves once it logs "search started".
export async function startSearchProcess(
  settings: Record<string, string>,
  timeoutMs = 60_000,
): Promise<SearchProcess> {
  const ports = { GRPC_PORT: await freePort(), HTTP_PORT: await freePort(), METRICS_PORT: await freePort() };
  const env = Object.fromEntries(
    Object.entries({ ...settings, ...ports }).map(([key, value]) => [`SEARCH_${key}`, String(value)]),
  );
  const child: ChildProcess = spawn(process.execPath, ["src/main.ts"], {
    cwd: SERVICE_DIR,
    env: { ...process.env, NODE_OPTIONS: "", STOCKROOM_ENV: "development", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`search did not start within ${timeoutMs} ms\n${tail()}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        stdout.push(line);
        if (line.includes(`"msg":"search started"`)) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`search exited (${code}) before it started\n${tail()}`));
    });
  });
  function tail() {
    return [...stdout.slice(-10), ...stderr.slice(-10)].join("\n");
  }
  await started;
  return {
    grpcAddress: `127.0.0.1:${ports.GRPC_PORT}`,
    stdout,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
