/**
 * Stack exports holding a servicevm Ledger of either kind, for the `--previous` tests.
 *
 * The plugin Ledger's state is what the provider plugin itself returns to the engine: its
 * `makeProvider()` (the object `plugin/main.ts` serves over gRPC) is called in-process for a
 * `Check` and `Create`, then a `Check` and `Update` with the new health, as the engine calls them on
 * `pulumi up` (test/plugin/pluginHost.test.ts drives the same calls through the real plugin host).
 * Constructed here, not run: the engine's serialization of that state into `pulumi stack export`
 * (`SerializePropertyValue`: a secret becomes `{ sig, plaintext: <JSON text> }` with
 * `--show-secrets`, else `{ sig, ciphertext }`), modelled by {@link exported}, and the resources
 * around it (stack, provider, Fleet component), added to a real export (`stratify`, 17 resources).
 * What this does not prove: that a real engine writes the document byte for byte so (no Pulumi CLI
 * runs on the build machines).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { planSpec } from "../../core/planSpec";
import { makeProvider } from "../../plugin/provider";
import { parseSpec } from "../../schema/loader";
import { DYNAMIC_TOKENS, PROVIDER_TOKENS } from "../../tokens";

type Props = Record<string, unknown>;

const ROOT = join(__dirname, "../..");
/** shared/ sits beside the repository, here and in CI. */
const FIXTURES = join(ROOT, "..", "shared", "fixtures", "pulumi");

/** The key and value that mark a secret, on the wire and in state (`sig.Key`, `sig.Secret`). */
export const SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" } as const;

/** A secret as the plugin's requests and responses carry it (the engine's `MarshalProperties`). */
export function wireSecret(value: unknown): Props {
  return { ...SIG, value };
}

function isWireSecret(v: unknown): v is { value: unknown } {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as Props)["4dabf18193072939515e22adb298388d"] === SIG["4dabf18193072939515e22adb298388d"] &&
    "value" in v
  );
}

/**
 * A property value as `pulumi stack export` writes it: a secret's value serialized first, then
 * written as its JSON text (`--show-secrets`) or as a ciphertext (made up here: nothing reads it).
 */
export function exported(value: unknown, showSecrets: boolean): unknown {
  if (isWireSecret(value)) {
    const plaintext = JSON.stringify(exported(value.value, showSecrets));
    return showSecrets
      ? { ...SIG, plaintext }
      : { ...SIG, ciphertext: `v1:${Buffer.from(plaintext).toString("base64")}` };
  }
  if (Array.isArray(value)) return value.map((v) => exported(v, showSecrets));
  if (typeof value === "object" && value !== null) {
    const out: Props = {};
    for (const [k, v] of Object.entries(value)) out[k] = exported(v, showSecrets);
    return out;
  }
  return value;
}

/**
 * Three appliances in one pool whose circuit breaker trips when more than a quarter of them is
 * unhealthy; three tenants' firewalls. The first plan puts `acme-fw` on `fw-b`, `globex-fw` and
 * `initech-fw` on `fw-a`.
 */
export const BREAKER_FLEET = `templates:
  fgt:
    driver: physical
    capacity: { CUSTOM_SERVICE_SLOT: 8 }
    tenancy: { mode: shared, isolation: vlan, contexts: { first: 100, last: 199 } }
pools:
  edge:
    template: fgt
    maxUnhealthyShare: 0.25
    devices:
      - { name: fw-a, zone: rack1 }
      - { name: fw-b, zone: rack1 }
      - { name: fw-c, zone: rack2 }
allocations:
  acme-fw: { tenant: acme, demand: { CUSTOM_SERVICE_SLOT: 2 } }
  globex-fw: { tenant: globex, demand: { CUSTOM_SERVICE_SLOT: 3 } }
  initech-fw: { tenant: initech, demand: { CUSTOM_SERVICE_SLOT: 4 } }
`;

/** The URNs of the resources a stack export here holds (project `sample`, stack `dev`, as stratify's). */
export const EXPORT_URNS = {
  stack: "urn:pulumi:dev::sample::pulumi:pulumi:Stack::sample-dev",
  provider: "urn:pulumi:dev::sample::pulumi:providers:servicevm::default",
  fleet: (name: string) => `urn:pulumi:dev::sample::servicevm:index:Fleet::${name}`,
  /** A Ledger `<fleet>-ledger` of type `type`, child of the Fleet `fleet`. */
  ledger: (fleet: string, type: string) =>
    `urn:pulumi:dev::sample::servicevm:index:Fleet$${type}::${fleet}-ledger`,
};

/**
 * The plugin Ledger's inputs and outputs after two deployments of `specText`: every appliance
 * healthy, then `health` (the appliances' `healthy` outputs, as the Fleet passes them).
 */
export async function pluginLedgerState(
  specText: string,
  health: Props,
  fleet = "site",
): Promise<{ inputs: Props; outputs: Props }> {
  const provider = makeProvider();
  const urn = EXPORT_URNS.ledger(fleet, PROVIDER_TOKENS.ledger);
  const spec = planSpec(parseSpec(specText, "fleet.yaml")) as unknown as Props;
  const first = await provider.check(urn, {}, { spec, health: {} });
  if ((first.failures ?? []).length > 0) throw new Error(JSON.stringify(first.failures));
  const created = await provider.create(urn, first.inputs);
  const second = await provider.check(urn, first.inputs, { spec, health });
  if ((second.failures ?? []).length > 0) throw new Error(JSON.stringify(second.failures));
  const updated = await provider.update(created.id, urn, created.outs, second.inputs);
  return { inputs: second.inputs, outputs: updated.outs };
}

/** A resource of a stack export, as `pulumi stack export` writes it. */
export interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  id?: string;
  parent?: string;
  provider?: string;
  protect?: boolean;
  inputs?: Props;
  outputs?: Props;
  delete?: boolean;
}

/** A Ledger of either type in a Fleet `fleet`, with the Fleet component, as the engine records them. */
export function ledgerResources(
  fleet: string,
  type: string,
  state: { inputs?: Props; outputs: Props },
  showSecrets = true,
): StateResource[] {
  const plugin = type === PROVIDER_TOKENS.ledger;
  return [
    {
      urn: EXPORT_URNS.fleet(fleet),
      custom: false,
      type: "servicevm:index:Fleet",
      parent: EXPORT_URNS.stack,
    },
    {
      urn: EXPORT_URNS.ledger(fleet, type),
      custom: true,
      id: "ledger",
      type,
      parent: EXPORT_URNS.fleet(fleet),
      protect: true,
      ...(plugin ? { provider: `${EXPORT_URNS.provider}::3f1e9d2c-6b7a-4c1e-9a55-0d6e2f8b7c41` } : {}),
      inputs: exported(state.inputs ?? {}, showSecrets) as Props,
      outputs: exported(
        plugin ? state.outputs : { __provider: "exports.handler = __f0;", ...state.outputs },
        showSecrets,
      ) as Props,
    },
  ];
}

/** A real stack export (stratify, 17 resources) with the servicevm provider and `resources` added. */
export function stackExport(...resources: StateResource[]): string {
  const doc = JSON.parse(readFileSync(join(FIXTURES, "stratify-stack-export.json"), "utf8")) as {
    deployment: { resources: StateResource[] };
  };
  if (resources.some((r) => r.type === PROVIDER_TOKENS.ledger)) {
    doc.deployment.resources.push({
      urn: EXPORT_URNS.provider,
      custom: true,
      id: "3f1e9d2c-6b7a-4c1e-9a55-0d6e2f8b7c41",
      type: "pulumi:providers:servicevm",
      inputs: {},
      outputs: {},
    });
  }
  doc.deployment.resources.push(...resources);
  return JSON.stringify(doc, null, 4);
}

export { DYNAMIC_TOKENS, PROVIDER_TOKENS };
