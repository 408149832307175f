import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { templateSources } from "../../components/templateSources";
import { digest, templateSource } from "../../core/sources";
import type { TemplateSpec } from "../../core/types";
import { valueOf } from "../harness/engine";

type In = pulumi.Input<string>;

/** Each field's value, `undefined` for one not known. */
async function resolved(
  record: Record<string, pulumi.Input<string | undefined>>,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(record)) out[k] = await valueOf(pulumi.output(record[k]));
  return out;
}

const OPENSTACK: TemplateSpec = {
  driver: "openstack",
  capacity: { CUSTOM_SERVICE_SLOT: 8 },
  openstack: {
    image: { source: "https://images.example.test/vyos.qcow2", diskFormat: "qcow2" },
    flavor: { vcpus: 8, ramMb: 16384, diskGb: 40, extraSpecs: { "hw:cpu_policy": "dedicated" } },
    networks: ["edge-mgmt", "edge-ha"],
    keyPair: "noc",
    userData: "#cloud-config\n",
    metadata: { role: "fw" },
  },
};

const DOCKER: TemplateSpec = {
  driver: "docker",
  capacity: { CUSTOM_SERVICE_SLOT: 4 },
  docker: {
    image: "haproxy:2.9",
    cpus: 1,
    memoryMb: 512,
    networks: ["lab-svc"],
    env: { MODE: "lb" },
    ports: [{ internal: 80, external: 8080 }],
    healthcheck: { test: ["CMD", "true"], retries: 3 },
  },
};

const PHYSICAL: TemplateSpec = { driver: "physical", capacity: { CUSTOM_SERVICE_SLOT: 16 } };

// Mock runtime in preview mode: only what `templateSources` itself computes is under test, no engine.
beforeAll(() =>
  pulumi.runtime.setMocks(
    { newResource: (a) => ({ id: `${a.name}-id`, state: {} }), call: () => ({}) },
    "project",
    "stack",
    true,
  ),
);

describe("templateSources", () => {
  it.each([
    ["openstack", OPENSTACK],
    ["docker", DOCKER],
    ["physical", PHYSICAL],
  ])("gives a plain %s template exactly the core's digests, field by field", async (_name, template) => {
    const sources = templateSources({ t: template });
    expect(await resolved(sources.t)).toEqual(templateSource(template));
  });

  it("digests the resolved value when the fields are Outputs, so the Ledger and the CLI agree", async () => {
    const wired: TemplateSpec<In> = {
      ...OPENSTACK,
      openstack: {
        image: { source: pulumi.output("https://images.example.test/vyos.qcow2"), diskFormat: "qcow2" },
        flavor: { vcpus: 8, ramMb: 16384, diskGb: 40, extraSpecs: { "hw:cpu_policy": "dedicated" } },
        networks: [pulumi.output("edge-mgmt"), "edge-ha"],
        keyPair: pulumi.output("noc"),
        userData: pulumi.secret("#cloud-config\n"),
        metadata: { role: pulumi.output("fw") },
      },
    };
    const sources = templateSources({ vfw: wired });
    expect(await resolved(sources.vfw)).toEqual(templateSource(OPENSTACK));
    expect(await resolved(sources.vfw)).toEqual({
      driver: digest("openstack"),
      flavor: digest({ vcpus: 8, ramMb: 16384, diskGb: 40, extraSpecs: { "hw:cpu_policy": "dedicated" } }),
      image: digest({ source: "https://images.example.test/vyos.qcow2", diskFormat: "qcow2" }),
      keyPair: digest("noc"),
      metadata: digest({ role: "fw" }),
      networks: digest(["edge-mgmt", "edge-ha"]),
      userData: digest("#cloud-config\n"),
    });
  });

  it("keeps digests of secret values unsecret", async () => {
    const sources = templateSources({
      vfw: {
        ...OPENSTACK,
        openstack: { ...OPENSTACK.openstack!, userData: pulumi.secret("#cloud-config\n") },
      },
    });
    expect(await pulumi.isSecret(pulumi.output(sources.vfw.userData))).toBe(false);
  });

  it("leaves only the field whose value is not known yet unknown (mock runtime, preview)", async () => {
    const sources = templateSources({
      vfw: {
        ...OPENSTACK,
        openstack: {
          ...OPENSTACK.openstack!,
          image: { id: pulumi.output(pulumi.unknown) as unknown as pulumi.Output<string> },
        },
      },
    });
    const values = await resolved(sources.vfw);
    expect(values.image).toBeUndefined();
    expect(values).toEqual({ ...templateSource(OPENSTACK), image: undefined });
  });

  it("gives a field whose Output resolves to undefined no digest, as the core gives a missing field none", async () => {
    const sources = templateSources({
      vfw: {
        ...OPENSTACK,
        openstack: { ...OPENSTACK.openstack!, keyPair: pulumi.output(undefined as unknown as string) },
      },
    });
    const keyPair = pulumi.output(sources.vfw.keyPair) as unknown as { isKnown: Promise<boolean> };
    expect(await keyPair.isKnown).toBe(true);
    expect(await valueOf(pulumi.output(sources.vfw.keyPair))).toBeUndefined();
    const { keyPair: _k, ...withoutKey } = OPENSTACK.openstack!;
    void _k;
    expect("keyPair" in templateSource({ ...OPENSTACK, openstack: withoutKey })).toBe(false);
  });
});
