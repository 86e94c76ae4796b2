import { beforeAll, describe, expect, it } from "vitest";
import {
  environmentOf,
  type K8sObject,
  OVERLAYS,
  overlayProblems,
  render,
  ruleProblems,
  schemaProblems,
} from "../kubernetes/check-manifests.ts";

describe.each(OVERLAYS)("kubectl kustomize %s", (overlay) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render(overlay);
  });

  it("renders objects that pass the Kubernetes API schemas and the deployment rules", async () => {
    expect(objects.length).toBeGreaterThan(20);
    expect(await overlayProblems(objects, environmentOf(overlay))).toEqual([]);
  });

  it("runs the warehouse's relay and sweeper as Deployments of their own", () => {
    const components = objects
      .filter((o) => o.kind === "Deployment" && o.metadata.name.startsWith("warehouse"))
      .map(
        (d) =>
          d.spec.template.spec.containers[0].env.find(
            (e: { name: string }) => e.name === "WAREHOUSE_COMPONENTS",
          )?.value,
      )
      .sort();
    expect(components).toEqual(["api", "relay", "sweeper"]);
  });
});

describe("the manifest checks", () => {
  let objects: K8sObject[];
  const find = (kind: string, name: string) => {
    const copy = structuredClone(objects);
    const object = copy.find((o) => o.kind === kind && o.metadata.name === name);
    if (!object) throw new Error(`${kind}/${name} not rendered`);
    return { copy, object };
  };
  beforeAll(() => {
    objects = render(OVERLAYS[0] as string);
  });

  it("refuses an object the API schema refuses", async () => {
    const { object } = find("Deployment", "warehouse");
    object.spec.template.spec.containers[0].readinessProbe.grpc.port = "grpc";
    expect((await schemaProblems(object))[0]).toContain("readinessProbe/grpc/port must be integer");
    expect(
      await schemaProblems({ apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "x" } }),
    ).toEqual(["Deploymnet/x: apps/v1 has no kind Deploymnet"]);
  });

  it("refuses a writable root filesystem, an HTTP probe on a gRPC server and a missing preStop", () => {
    const { copy, object } = find("Deployment", "catalog");
    const container = object.spec.template.spec.containers[0];
    container.securityContext.readOnlyRootFilesystem = false;
    container.livenessProbe = { httpGet: { path: "/healthz", port: "metrics" } };
    delete container.lifecycle;
    expect(ruleProblems(copy)).toEqual([
      "Deployment/catalog container catalog: root filesystem writable",
      "Deployment/catalog container catalog: livenessProbe is not a gRPC probe",
      "Deployment/catalog container catalog: no preStop delay",
    ]);
  });

  it("refuses an API without its HPA and PDB, and a namespace without default deny", () => {
    const copy = structuredClone(objects).filter(
      (o) =>
        !(o.kind === "HorizontalPodAutoscaler" && o.metadata.name === "warehouse") &&
        !(o.kind === "PodDisruptionBudget" && o.metadata.name === "warehouse") &&
        !(o.kind === "NetworkPolicy" && o.metadata.name === "default-deny"),
    );
    expect(ruleProblems(copy)).toEqual([
      "Deployment/warehouse: no PodDisruptionBudget",
      "Deployment/warehouse: no HorizontalPodAutoscaler",
      "no default-deny NetworkPolicy",
    ]);
  });

  it("refuses a replica count on a Deployment its HorizontalPodAutoscaler scales", () => {
    const { copy, object } = find("Deployment", "warehouse");
    object.spec.replicas = 3;
    expect(ruleProblems(copy)).toEqual([
      "Deployment/warehouse: sets replicas, which every apply would reset under its HorizontalPodAutoscaler",
    ]);
  });

  it("refuses manifests that leave out a service", () => {
    const copy = structuredClone(objects).filter(
      (o) => !(o.kind === "Deployment" && o.metadata.name === "catalog"),
    );
    expect(ruleProblems(copy)).toContain('services/catalog: no Deployment runs it (args: ["catalog"])');
  });

  it("runs the dev-only payment sandbox in the dev overlay, and refuses it in production", () => {
    const withoutSandbox = structuredClone(objects).filter(
      (o) => !(o.kind === "Deployment" && o.metadata.name === "payment-sandbox"),
    );
    expect(ruleProblems(withoutSandbox, "dev")).toEqual([
      'services/payment-sandbox: no Deployment runs it (args: ["payment-sandbox"])',
    ]);
    const production = render(OVERLAYS[1] as string);
    expect(ruleProblems(production, "production")).toEqual([]);
    const sandbox = objects.filter((o) => o.metadata.name === "payment-sandbox");
    expect(ruleProblems([...production, ...sandbox], "production")).toEqual([
      "services/payment-sandbox: a development tool deployed in production",
    ]);
  });

  it("refuses a production migrations Job that creates a dev-only tool's schema", () => {
    const production = render(OVERLAYS[1] as string);
    const job = production.find((o) => o.kind === "Job" && o.metadata.name === "stockroom-migrate");
    if (!job) throw new Error("Job/stockroom-migrate not rendered");
    job.spec.template.spec.containers[0].args = ["migrate"];
    expect(ruleProblems(production, "production")).toEqual([
      "Job/stockroom-migrate: migrates the development tool payment-sandbox's schema",
    ]);
  });
});
