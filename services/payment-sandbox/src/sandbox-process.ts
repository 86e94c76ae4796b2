// Runs the sandbox gateway as a real child process (its own `node src/main.ts`), for the tests of this
// package and of the services that pay through it. Waits for /healthz; stop() sends SIGTERM, kill() any
// signal; restart() starts it again on the same port and schema (its state is in PostgreSQL).
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

export interface SandboxProcessOptions {
  databaseUrl: string;
  schema: string;
  webhookSecret: string;
  webhookUrl?: string;
  hangMs?: number;
  lateWebhookDelayMs?: number;
  webhookPollIntervalMs?: number;
  port?: number;
}

export interface SandboxProcess {
  readonly baseUrl: string;
  readonly port: number;
  pid(): number | undefined;
  /** Everything the process wrote to stdout and stderr so far (for a failing test's message). */
  output(): string;
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

export async function startSandboxProcess(options: SandboxProcessOptions): Promise<SandboxProcess> {
  const port = options.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = "";

  async function start(): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PAYMENT_SANDBOX_DATABASE_URL: options.databaseUrl,
      PAYMENT_SANDBOX_DB_SCHEMA: options.schema,
      PAYMENT_SANDBOX_HTTP_PORT: String(port),
      PAYMENT_SANDBOX_WEBHOOK_SECRET: options.webhookSecret,
      PAYMENT_SANDBOX_LOG_LEVEL: "warn",
      ...(options.webhookUrl ? { PAYMENT_SANDBOX_WEBHOOK_URL: options.webhookUrl } : {}),
      ...(options.hangMs !== undefined ? { PAYMENT_SANDBOX_HANG_MS: String(options.hangMs) } : {}),
      ...(options.lateWebhookDelayMs !== undefined
        ? { PAYMENT_SANDBOX_LATE_WEBHOOK_DELAY_MS: String(options.lateWebhookDelayMs) }
        : {}),
      ...(options.webhookPollIntervalMs !== undefined
        ? { PAYMENT_SANDBOX_WEBHOOK_POLL_INTERVAL_MS: String(options.webhookPollIntervalMs) }
        : {}),
    };
    const started = spawn(process.execPath, ["src/main.ts"], {
      cwd: PACKAGE_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    started.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    started.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    await waitHealthy(started);
  }

  async function waitHealthy(started: ChildProcess): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) throw new Error(`payment sandbox exited at start:\n${output}`);
      try {
        const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`payment sandbox did not become healthy on ${baseUrl}:\n${output}`);
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, "exit");
    running.kill(name);
    await exited;
  }

  await start();
  return {
    baseUrl,
    port,
    pid: () => child?.pid,
    output: () => output,
    stop: () => signal("SIGTERM"),
    kill: (name) => signal(name),
    async restart() {
      await signal("SIGTERM");
      await start();
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
