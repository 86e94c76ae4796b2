// Runs the CLI as a child process (`node packages/cli/src/main.ts …`), as an operator's shell would.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI_MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  readonly child: ChildProcess;
  /** stderr so far (progress, notes). */
  stderr(): string;
  readonly result: Promise<CliResult>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    // Only what the test gives: no developer's STOCKROOM_TOKEN or config file leaks in.
    env: {
      PATH: process.env.PATH,
      HOME: "/nonexistent",
      XDG_CONFIG_HOME: "/nonexistent",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, stderr: () => stderr, result };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).result;
}
