import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const file = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), "utf8");

interface Rule {
  alert?: string;
  record?: string;
  annotations?: Record<string, string>;
}
interface AlertTest {
  alertname: string;
  exp_alerts: unknown[];
}

const rules: Rule[] = parse(file("deploy/prometheus/alerts.rules.yml")).groups.flatMap(
  (g: { rules: Rule[] }) => g.rules,
);
const alerts = rules.filter((r) => r.alert).map((r) => r as Required<Pick<Rule, "alert" | "annotations">>);
const tests: AlertTest[] = parse(file("deploy/prometheus/alerts.test.yml")).tests.flatMap(
  (t: { alert_rule_test: AlertTest[] }) => t.alert_rule_test,
);
const runbooks = file("docs/runbooks.md");

describe("alert rules", () => {
  it("has the seeds' 15 alerts plus stuck checkouts, drift, relay lease, pool saturation and a stalled sweeper", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        "OutboxLagWarning",
        "OutboxLagCritical",
        "OutboxPublishFailures",
        "EventPublishSuccessRateLow",
        "CatalogSyncLag",
        "SearchSyncLagWarning",
        "SearchSyncLagCritical",
        "EventProcessingLatencyP95High",
        "EventProcessingFailureRateHigh",
        "DLQDepthWarning",
        "DLQDepthCritical",
        "ReservationExpiryRateHigh",
        "ReservationFailureRateHigh",
        "ReservationLatencyP95High",
        "InventoryUpdateLatencyP95High",
        "CheckoutsStuck",
        "LedgerDriftNonZero",
        "OutboxRelayLeaseLost",
        "DatabasePoolSaturated",
        "ExpirySweeperStalled",
      ].sort(),
    );
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    "%s has a runbook section and a unit test that fires it",
    (name, alert) => {
      expect(alert.annotations.runbook_url).toBe(`docs/runbooks.md#${name.toLowerCase()}`);
      expect(runbooks).toMatch(new RegExp(`^## ${name}$`, "m"));
      expect(tests.some((t) => t.alertname === name && t.exp_alerts.length > 0)).toBe(true);
    },
  );

  it("passes promtool check rules and promtool test rules", () => {
    const out = execFileSync(
      "bash",
      [fileURLToPath(new URL("../prometheus/check-rules.sh", import.meta.url))],
      {
        encoding: "utf8",
      },
    );
    expect(out).toContain("SUCCESS: 20 rules found");
    expect(out).toMatch(/Unit Testing:\s+alerts\.test\.yml\s+SUCCESS/);
  });
});
