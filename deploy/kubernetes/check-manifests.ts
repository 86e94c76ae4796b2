// Renders every overlay with `kubectl kustomize` and checks each object: against the Kubernetes API schemas
// (kubernetes-models' validators, Kubernetes 1.27), then against the project's deployment rules (non-root,
// read-only root filesystem, probes, preStop, resources, topology spread; a Service, HPA and PDB per API;
// default-deny network policy; a Deployment for every service under services/, the dev-only tools of
// deploy/deployed-services.ts in the dev overlay and never in production). Run by `npm run check`
// through check-manifests.sh, which installs kubectl when missing:
//   node deploy/kubernetes/check-manifests.ts [overlay directory ...]
import { execFileSync } from "node:child_process";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { DEV_ONLY_SERVICES, isDevOnly, runnableServices } from "../deployed-services.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const OVERLAYS = ["dev", "production"].map((o) => join(root, "deploy/kubernetes/overlays", o));

// An overlay named "dev" runs the dev-only tools; every other overlay is a production-like environment.
export type Environment = "dev" | "production";
export function environmentOf(overlay: string): Environment {
  return basename(overlay) === "dev" ? "dev" : "production";
}

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped until validated
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: any };

export function render(overlay: string): K8sObject[] {
  const out = execFileSync("kubectl", ["kustomize", overlay], { encoding: "utf8", maxBuffer: 64 << 20 });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((d): d is K8sObject => d !== null)
    .map(unwrapSecretData);
}

// kustomize wraps long base64 values over several lines; the API server's decoder (Go's encoding/base64)
// skips the line breaks, the schema's "byte" format does not, so they are joined as the server would.
function unwrapSecretData(object: K8sObject): K8sObject {
  if (object.kind !== "Secret" || !object.data) return object;
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, string>).map(([k, v]) => [k, v.replace(/[\r\n]/g, "")]),
  );
  return { ...object, data };
}

// kubernetes-models has one module per API group version ("v1", "apps/v1", "networking.k8s.io/v1")
// exporting a class per kind, whose validate() runs the API's JSON schema.
export async function schemaProblems(object: K8sObject): Promise<string[]> {
  const where = `${object.kind}/${object.metadata?.name}`;
  let module: Record<string, unknown>;
  try {
    module = await import(/* @vite-ignore */ `kubernetes-models/${object.apiVersion}`);
  } catch {
    return [`${where}: unknown apiVersion ${object.apiVersion}`];
  }
  const Model = module[object.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (!Model) return [`${where}: ${object.apiVersion} has no kind ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (err) {
    return [`${where}: ${err instanceof Error ? err.message : String(err)}`];
  }
}

function podSpecOf(object: K8sObject) {
  return object.spec?.template?.spec;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function ruleProblems(objects: K8sObject[], environment: Environment = "dev"): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  for (const workload of [...byKind("Deployment"), ...byKind("Job")]) {
    const where = `${workload.kind}/${workload.metadata.name}`;
    const pod = podSpecOf(workload);
    if (pod?.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pod is not runAsNonRoot`);
    if (pod?.automountServiceAccountToken !== false)
      problems.push(`${where}: mounts a service account token`);
    for (const c of pod?.containers ?? []) {
      const at = `${where} container ${c.name}`;
      if (c.securityContext?.readOnlyRootFilesystem !== true)
        problems.push(`${at}: root filesystem writable`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${at}: privilege escalation`);
      if (!c.securityContext?.capabilities?.drop?.includes("ALL"))
        problems.push(`${at}: capabilities not dropped`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) problems.push(`${at}: no requests`);
      if (!c.resources?.limits?.memory) problems.push(`${at}: no memory limit`);
      if (workload.kind !== "Deployment") continue;
      const servesGrpc = (c.ports ?? []).some((p: { name?: string }) => p.name === "grpc");
      for (const probe of ["livenessProbe", "readinessProbe"]) {
        if (!c[probe]) problems.push(`${at}: no ${probe}`);
        else if (servesGrpc && !c[probe].grpc) problems.push(`${at}: ${probe} is not a gRPC probe`);
      }
      if (!c.lifecycle?.preStop) problems.push(`${at}: no preStop delay`);
      const devTool = isDevOnly(c.args?.[0] ?? "");
      if (!devTool && !(c.ports ?? []).some((p: { name?: string }) => p.name === "metrics")) {
        problems.push(`${at}: no port named metrics (scraped by the network policy's name)`);
      }
    }
    if (workload.kind !== "Deployment") continue;
    if (!pod?.topologySpreadConstraints?.length) problems.push(`${where}: no topologySpreadConstraints`);
    const labels = workload.spec.template.metadata.labels as Record<string, string>;
    const pdb = byKind("PodDisruptionBudget").some((p) => selects(p.spec.selector?.matchLabels, labels));
    if (!pdb) problems.push(`${where}: no PodDisruptionBudget`);
    const api = pod?.containers?.some((c: { ports?: { name?: string }[] }) =>
      (c.ports ?? []).some((p) => p.name === "grpc"),
    );
    if (!api) continue;
    if (!byKind("Service").some((s) => selects(s.spec.selector, labels)))
      problems.push(`${where}: no Service`);
    const hpa = byKind("HorizontalPodAutoscaler").some(
      (h) =>
        h.spec.scaleTargetRef?.kind === "Deployment" &&
        h.spec.scaleTargetRef?.name === workload.metadata.name,
    );
    if (!hpa) problems.push(`${where}: no HorizontalPodAutoscaler`);
    else if (workload.spec.replicas !== undefined) {
      problems.push(
        `${where}: sets replicas, which every apply would reset under its HorizontalPodAutoscaler`,
      );
    }
  }
  const defaultDeny = byKind("NetworkPolicy").some(
    (n) =>
      Object.keys(n.spec.podSelector ?? {}).length === 0 &&
      n.spec.policyTypes?.includes("Ingress") &&
      n.spec.policyTypes?.includes("Egress") &&
      !n.spec.ingress &&
      !n.spec.egress,
  );
  if (!defaultDeny) problems.push("no default-deny NetworkPolicy");
  if (!byKind("Job").some((j) => podSpecOf(j)?.containers?.[0]?.args?.[0] === "migrate")) {
    problems.push("no migrations Job");
  }
  const runs = (name: string) =>
    byKind("Deployment").some((d) => podSpecOf(d)?.containers?.[0]?.args?.[0] === name);
  for (const name of runnableServices()) {
    if (environment === "production" && isDevOnly(name)) {
      if (runs(name)) problems.push(`services/${name}: a development tool deployed in production`);
    } else if (!runs(name)) {
      problems.push(`services/${name}: no Deployment runs it (args: ["${name}"])`);
    }
  }
  if (environment === "production") {
    const migrate = byKind("Job").find((j) => podSpecOf(j)?.containers?.[0]?.args?.[0] === "migrate");
    const args: string[] = migrate ? podSpecOf(migrate).containers[0].args : [];
    const excepted = args[1] === "--except" ? (args[2] ?? "").split(",") : [];
    for (const name of DEV_ONLY_SERVICES) {
      if (migrate && !excepted.includes(name)) {
        problems.push(`Job/${migrate.metadata.name}: migrates the development tool ${name}'s schema`);
      }
    }
  }
  return problems;
}

export async function overlayProblems(
  objects: K8sObject[],
  environment: Environment = "dev",
): Promise<string[]> {
  const schema = (await Promise.all(objects.map(schemaProblems))).flat();
  return [...schema, ...ruleProblems(objects, environment)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const overlays = process.argv.length > 2 ? process.argv.slice(2) : OVERLAYS;
  let failed = false;
  for (const overlay of overlays) {
    const objects = render(overlay);
    const problems = await overlayProblems(objects, environmentOf(overlay));
    for (const problem of problems) process.stderr.write(`check-manifests: ${overlay}: ${problem}\n`);
    failed ||= problems.length > 0;
    if (problems.length === 0) {
      process.stdout.write(`check-manifests: ${overlay}: ${objects.length} objects valid\n`);
    }
  }
  if (failed) process.exit(1);
}
