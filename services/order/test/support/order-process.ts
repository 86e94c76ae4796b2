// The order service as a real child process (node src/main.ts), for the crash tests: started with its
// dependencies' addresses, SIGKILLed at a chosen moment, restarted on the same schema.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const SERVICE_DIR = fileURLToPath(new URL("../..", import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface OrderProcess {
  start(): Promise<void>;
  kill(): Promise<void>;
  output(): string;
}

export function orderProcess(env: Record<string, string>): OrderProcess {
  let child: ChildProcess | undefined;
  let output = "";
  return {
    async start() {
      const started = spawn(process.execPath, ["src/main.ts"], {
        cwd: SERVICE_DIR,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = started;
      started.stdout?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      started.stderr?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      const deadline = Date.now() + 20_000;
      while (!output.includes('"order started"')) {
        if (started.exitCode !== null || started.signalCode !== null)
          throw new Error(`order process exited: ${output}`);
        if (Date.now() > deadline) {
          started.kill("SIGKILL");
          throw new Error(`order process did not start: ${output}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((r) => running.once("exit", r));
      running.kill("SIGKILL");
      await exited;
    },
    output: () => output,
  };
}
