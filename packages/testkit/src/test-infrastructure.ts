// Where the real test services are, and what to do when they are not configured.
import { execFileSync } from "node:child_process";

export type TestVariable = "TEST_DATABASE_URL" | "TEST_KAFKA_BROKERS" | "TEST_REDIS_URL";

const HOW_TO_START =
  "run `npm test` (starts it) or `bash deploy/local/infra-up.sh` then `. deploy/local/env.sh`";

/** The variable's value; throws saying how to start the infrastructure when it is unset. */
export function requireTestEnv(name: TestVariable): string {
  const value = process.env[name]?.trim();
  if (value) return value;
  const docker = dockerAnswers()
    ? " (a Docker engine answers here, so testcontainers could start it; the project does not use testcontainers yet)"
    : "";
  throw new Error(`${name} is not set: ${HOW_TO_START}${docker}`);
}

let dockerAnswered: boolean | undefined;

export function dockerAnswers(): boolean {
  if (dockerAnswered === undefined) {
    try {
      execFileSync("docker", ["info"], { stdio: "ignore", timeout: 5_000 });
      dockerAnswered = true;
    } catch {
      dockerAnswered = false;
    }
  }
  return dockerAnswered;
}
