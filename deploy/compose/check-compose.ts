// Checks docker-compose.yml: valid against the official compose-spec JSON schema (vendored beside this
// file from compose-spec/compose-spec, schema/compose-spec.json), the same versions as the local scripts,
// and a compose service for every service under services/. Run by `npm run check`:
//   node deploy/compose/check-compose.ts [docker-compose.yml]
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { isDevOnly, runnableServices } from "../deployed-services.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

export function composeProblems(file: string): string[] {
  // Merge keys (<<) are resolved as compose itself resolves them, before the schema sees the document.
  const document: unknown = parse(readFileSync(file, "utf8"), { merge: true });
  const { $schema, ...schema } = JSON.parse(
    readFileSync(join(root, "deploy/compose/compose-spec.json"), "utf8"),
  );
  // The spec names draft-07 by its https address, which Ajv does not know; draft-07 is Ajv's default.
  if ($schema !== "https://json-schema.org/draft-07/schema") throw new Error(`unexpected $schema ${$schema}`);
  // The spec's own formats (duration, ports, ...) are validated by compose; here only the structure.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile(schema);
  if (!validate(document)) {
    return (validate.errors ?? []).map((e) => `schema: ${e.instancePath || "/"} ${e.message ?? ""}`.trim());
  }
  const compose = document as ComposeFile;
  return [...versionProblems(compose), ...coverageProblems(compose)];
}

function tagOf(compose: ComposeFile, service: string): string | undefined {
  return compose.services[service]?.image?.split(":")[1];
}

// The scripts' versions: Kafka from the pom that deploy/local/infra-up.sh runs; PostgreSQL and Redis are
// the machine's (Debian's packages), compared where they are installed.
function versionProblems(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const pom = readFileSync(join(root, "deploy/local/kafka/pom.xml"), "utf8");
  const kafka = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (tagOf(compose, "kafka") !== kafka) {
    problems.push(`kafka: image tag ${tagOf(compose, "kafka")} but deploy/local/kafka/pom.xml runs ${kafka}`);
  }
  const opensearchPom = readFileSync(join(root, "deploy/local/opensearch/pom.xml"), "utf8");
  const opensearch = /<opensearch\.version>([^<]+)<\/opensearch\.version>/.exec(opensearchPom)?.[1];
  if (compose.services.opensearch !== undefined && tagOf(compose, "opensearch") !== opensearch) {
    problems.push(
      `opensearch: image tag ${tagOf(compose, "opensearch")} but deploy/local/opensearch/pom.xml runs ${opensearch}`,
    );
  }
  const postgres = installedPostgresMajor();
  if (postgres !== undefined && tagOf(compose, "postgres") !== postgres) {
    problems.push(
      `postgres: image tag ${tagOf(compose, "postgres")} but this machine runs PostgreSQL ${postgres}`,
    );
  }
  const redis = installedRedisMinor();
  if (redis !== undefined && tagOf(compose, "redis") !== redis) {
    problems.push(`redis: image tag ${tagOf(compose, "redis")} but this machine runs Redis ${redis}`);
  }
  const prometheus = installedVersion("prometheus", /prometheus, version (\d+\.\d+\.\d+)/);
  if (prometheus !== undefined && tagOf(compose, "prometheus") !== `v${prometheus}`) {
    problems.push(
      `prometheus: image tag ${tagOf(compose, "prometheus")} but the tests run Prometheus ${prometheus}`,
    );
  }
  return problems;
}

function installedVersion(command: string, pattern: RegExp): string | undefined {
  try {
    return pattern.exec(execFileSync(command, ["--version"], { encoding: "utf8", stdio: "pipe" }))?.[1];
  } catch {
    return undefined;
  }
}

function installedPostgresMajor(): string | undefined {
  if (!existsSync("/etc/postgresql")) return undefined;
  const versions = readdirSync("/etc/postgresql").filter((v) => /^\d+$/.test(v));
  return versions.sort((a, b) => Number(a) - Number(b)).at(-1);
}

function installedRedisMinor(): string | undefined {
  return installedVersion("redis-server", /v=(\d+\.\d+)/);
}

// Every service (deployed-services.ts) runs from the image under its own name, dev-only tools included:
// compose is the development suite. Every compose service running the image is a target of
// deploy/prometheus/prometheus.yml, except the dev-only tools, which serve no metrics.
function coverageProblems(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const scrape = readFileSync(join(root, "deploy/prometheus/prometheus.yml"), "utf8");
  for (const [name, service] of Object.entries(compose.services)) {
    const command = service.command?.[0];
    if (service.image?.startsWith("stockroom:") && command !== "migrate" && !isDevOnly(command ?? "")) {
      if (!new RegExp(`^\\s*- ${name}:\\d+$`, "m").test(scrape)) {
        problems.push(`${name}: not a scrape target of deploy/prometheus/prometheus.yml`);
      }
    }
  }
  for (const name of runnableServices()) {
    const runs = Object.values(compose.services).some((s) => s.command?.[0] === name);
    if (!runs) problems.push(`services/${name}: no compose service runs it (command: ["${name}"])`);
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? join(root, "docker-compose.yml");
  const problems = composeProblems(file);
  for (const problem of problems) process.stderr.write(`check-compose: ${problem}\n`);
  if (problems.length > 0) process.exit(1);
  process.stdout.write(`check-compose: ${file} is valid compose-spec, versions agree with deploy/local\n`);
}
