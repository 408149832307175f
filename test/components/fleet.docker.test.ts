import { describe, expect, it } from "vitest";
import { Fleet, type FleetArgs } from "../../components/fleet";
import { valueOf } from "../harness/engine";
import { newEngine } from "../harness/fixtures";
import { T, find, inputsOf, nameOf, tree } from "./helpers";

function spec(): FleetArgs {
  return {
    templates: {
      haproxy: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 4 },
        tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 4 } },
        docker: {
          image: "haproxy:2.9",
          cpus: 1,
          memoryMb: 512,
          networks: ["lab-svc"],
          healthcheck: { test: ["CMD", "true"], intervalSeconds: 10, timeoutSeconds: 3, retries: 3 },
        },
      },
      ids: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 1 },
        docker: { image: "suricata:7.0", networks: ["lab-svc", "lab-mirror"] },
      },
    },
    pools: { lb: { template: "haproxy", standby: 1, strategy: "spread" }, ids: { template: "ids", size: 2 } },
    allocations: {
      "red-lb": {
        tenant: "red",
        demand: { CUSTOM_SERVICE_SLOT: 1 },
        pools: ["lb"],
        networks: [{ network: "lab-svc" }],
      },
      "blue-lb": { tenant: "blue", demand: { CUSTOM_SERVICE_SLOT: 2 }, pools: ["lb"] },
      "red-ids": {
        tenant: "red",
        demand: { CUSTOM_SERVICE_SLOT: 1 },
        pools: ["ids"],
        networks: [{ network: "lab-mirror" }],
      },
    },
  };
}

const EXPECTED_TREE = [
  `${T.fleet} lab <- (stack)`,
  `${T.template} lab-haproxy <- lab`,
  `${T.template} lab-ids <- lab`,
  `${T.remoteImage} lab-haproxy-image <- lab-haproxy`,
  `${T.remoteImage} lab-ids-image <- lab-ids`,
  `${T.pool} lab-lb <- lab`,
  `${T.pool} lab-ids <- lab`,
  `${T.container} lab-lb-0 <- lab-lb`,
  `${T.container} lab-lb-1 <- lab-lb`,
  `${T.container} lab-ids-0 <- lab-ids`,
  `${T.container} lab-ids-1 <- lab-ids`,
  `${T.ledger} lab-ledger <- lab`,
  `${T.allocation} lab-blue-lb <- lab`,
  `${T.allocation} lab-red-ids <- lab`,
  `${T.allocation} lab-red-lb <- lab`,
].sort();

describe("Fleet on Docker", () => {
  it("creates one image per template and one container per device, and nothing per allocation", async () => {
    const { engine } = newEngine();
    const result = await engine.up(() => {
      new Fleet("lab", spec());
    });
    expect(result.errors).toEqual([]);
    expect(tree(result)).toEqual(EXPECTED_TREE);
  });

  it("lists the same children in a preview", async () => {
    const { engine } = newEngine();
    const result = await engine.preview(() => {
      new Fleet("lab", spec());
    });
    expect(result.errors).toEqual([]);
    expect(tree(result)).toEqual(EXPECTED_TREE);
  });

  it("runs each container on its template's RemoteImage, named and labelled for its device, on the pool's networks (full arguments: render/docker.test.ts)", async () => {
    const { engine } = newEngine();
    const result = await engine.up(() => {
      new Fleet("lab", spec());
    });
    // The full container arguments are the renderer's (render/docker.test.ts); here: the wiring of
    // the image id from the template's RemoteImage, and the device's own name and label.
    const container = find(result, T.container, "lab-lb-1");
    expect(nameOf(container.parent)).toBe("lab-lb");
    expect(inputsOf(container)).toMatchObject({
      name: "lab-lb-1",
      image: "sha256:lab-haproxy-image",
      networksAdvanced: [{ name: "lab-svc" }],
    });
    expect((inputsOf(container).labels as { label: string; value: string }[])[0]).toEqual({
      label: "servicevm.device",
      value: "lb-1",
    });
    expect(inputsOf(find(result, T.remoteImage, "lab-haproxy-image"))).toEqual({
      name: "haproxy:2.9",
      keepLocally: true,
    });
  });

  it("makes every container depend on the Ledger, so a targeted destroy or state delete of the Ledger stops at its dependents (harness: the engine's refusal itself is not run)", async () => {
    const { engine } = newEngine();
    const result = await engine.up(() => {
      new Fleet("lab", spec());
    });
    const ledgerUrn = find(result, T.ledger, "lab-ledger").urn;
    const containers = result.resources.filter((r) => r.type === T.container);
    expect(containers.map((r) => r.name).sort()).toEqual(["lab-ids-0", "lab-ids-1", "lab-lb-0", "lab-lb-1"]);
    for (const c of containers) expect(c.dependencies).toContain(ledgerUrn);
    // The Ledger itself depends on no device (its inputs are the spec, health and template digests).
    expect(find(result, T.ledger, "lab-ledger").dependencies.filter((u) => u.includes(T.container))).toEqual(
      [],
    );
  });

  it("gives each allocation its container and namespace context", async () => {
    const { engine } = newEngine();
    let fleet: Fleet | undefined;
    await engine.up(() => {
      fleet = new Fleet("lab", spec());
    });
    expect(await valueOf(fleet!.placements)).toEqual({
      "blue-lb": { device: "lb-0", pool: "lb", tenant: "blue", isolation: { kind: "namespace", id: 1 } },
      "red-ids": { device: "ids-0", pool: "ids", tenant: "red", isolation: null },
      "red-lb": { device: "lb-0", pool: "lb", tenant: "red", isolation: { kind: "namespace", id: 2 } },
    });
    expect(await valueOf(fleet!.allocations["red-lb"].device)).toBe("lb-0");
    expect(await valueOf(fleet!.allocations["red-lb"].portIds)).toEqual([]);
  });

  it("refuses an allocation network that is not among its pool's networks", () => {
    const { engine } = newEngine();
    const args = spec();
    args.allocations!["red-lb"].networks = [{ network: "red-private" }];
    return engine.up(() => {
      expect(() => new Fleet("lab", args)).toThrow(
        "allocation `red-lb` needs network `red-private`, which is not among pool `lb`'s networks [lab-svc]; add it to `templates.haproxy.docker.networks` or restrict `allocations.red-lb.pools`",
      );
    });
  });

  it("refuses an unsound spec at construction, listing every error with its path", () => {
    const { engine } = newEngine();
    const args = spec();
    args.pools.lb.template = "haproxi";
    args.allocations!["red-ids"].pools = ["idz"];
    return engine.up(() => {
      let message = "";
      try {
        new Fleet("lab", args);
      } catch (e) {
        message = (e as Error).message;
      }
      const lines = message.split("\n");
      expect(lines[0]).toBe("fleet `lab` has 2 error(s) in its spec:");
      expect(lines.slice(1).map((l) => l.trim().split(":")[0])).toEqual([
        "pools.lb.template",
        "allocations.red-ids.pools.0",
      ]);
    });
  });
});
