import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { composeProblems } from "../compose/check-compose.ts";

const composeFile = fileURLToPath(new URL("../../docker-compose.yml", import.meta.url));

function variant(edit: (text: string) => string): string {
  const file = join(mkdtempSync(join(tmpdir(), "compose-check-")), "docker-compose.yml");
  writeFileSync(file, edit(readFileSync(composeFile, "utf8")));
  return file;
}

describe("docker-compose.yml check", () => {
  it("accepts the project's compose file", () => {
    expect(composeProblems(composeFile)).toEqual([]);
  });

  it("refuses what the compose-spec schema refuses", () => {
    const file = variant((t) =>
      t.replace("condition: service_completed_successfully", "condition: finished"),
    );
    expect(composeProblems(file)).toContain(
      "schema: /services/warehouse/depends_on/migrate/condition must be equal to one of the allowed values",
    );
  });

  it("refuses a Kafka image other than the local scripts' version", () => {
    const file = variant((t) => t.replace("apache/kafka:3.9.2", "apache/kafka:3.9.1"));
    expect(composeProblems(file)).toEqual([
      "kafka: image tag 3.9.1 but deploy/local/kafka/pom.xml runs 3.9.2",
    ]);
  });

  it("refuses a Prometheus image other than the version the tests run", () => {
    const file = variant((t) => t.replace("prom/prometheus:v2.42.0", "prom/prometheus:v3.0.0"));
    expect(composeProblems(file)).toEqual([
      "prometheus: image tag v3.0.0 but the tests run Prometheus 2.42.0",
    ]);
  });

  it("refuses a service that Prometheus does not scrape", () => {
    const file = variant((t) => t.replace("  warehouse-sweeper:\n", "  warehouse-expiry:\n"));
    expect(composeProblems(file)).toEqual([
      "warehouse-expiry: not a scrape target of deploy/prometheus/prometheus.yml",
    ]);
  });

  it("refuses a file that leaves out a service", () => {
    const file = variant((t) => t.replace('command: ["catalog"]', 'command: ["catalogue"]'));
    expect(composeProblems(file)).toEqual([
      'services/catalog: no compose service runs it (command: ["catalog"])',
    ]);
  });

  it("runs the dev-only payment sandbox, which needs no scrape target", () => {
    const file = variant((t) => t.replace('command: ["payment-sandbox"]', 'command: ["payment-sandbox-x"]'));
    // Renamed, it is no longer the dev-only tool: its service is missing and the other wants scraping.
    expect(composeProblems(file)).toEqual([
      "payment-sandbox: not a scrape target of deploy/prometheus/prometheus.yml",
      'services/payment-sandbox: no compose service runs it (command: ["payment-sandbox"])',
    ]);
  });
});
