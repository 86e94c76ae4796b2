// The dashboards' panel queries, for the test that evaluates them against a real Prometheus
// (deploy/test/dashboards.int.test.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Panel {
  title: string;
  type: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

export interface PanelQuery {
  /** "<dashboard title> / <panel title>" */
  panel: string;
  expr: string;
}

const dashboardsDir = fileURLToPath(new URL("dashboards", import.meta.url));

export function loadDashboards(): Dashboard[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dashboardsDir, f), "utf8")) as Dashboard);
}

export function panelQueries(dashboards: Dashboard[]): PanelQuery[] {
  return dashboards.flatMap((d) =>
    d.panels
      .filter((p) => p.type !== "row")
      .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: `${d.title} / ${p.title}`, expr: t.expr }))),
  );
}

/** Grafana's variables as an "All" selection and a one-minute rate window resolve them. */
export function resolveVariables(expr: string): string {
  return expr.replaceAll("$__rate_interval", "1m").replaceAll("$app", ".+");
}

const PROMQL_WORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "and",
  "or",
  "unless",
]);

/** The metric names a query selects: identifiers outside label matchers, ranges, grouping clauses and strings
 * that are not functions or aggregations (those are followed by a parenthesis) or keywords. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = [...stripped.matchAll(/(?<![\w:])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g)].map((m) => m[0]);
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n)))];
}
