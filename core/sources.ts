/**
 * What a device is created from: one digest per field of its template's driver block (and the
 * pool's anti-affinity for OpenStack servers). The ledger records them, so the next plan can name
 * the field that changed and the devices the driver will replace (DESIGN §3, "Devices keep their
 * identity").
 */
import { canonicalJson } from "./canonical";
import type { OwnedPoolSpec, TemplateSpec } from "./types";

/**
 * How the driver applies a change of each field: `replace` destroys and re-creates the device,
 * `update` changes it in place. OpenStack (`compute.Instance`): image, networks, key pair, user
 * data, availability zone and server group are ForceNew; a flavor change is a resize (the server
 * restarts), security groups and metadata are updated in place. Docker (`Container`): every
 * setting re-creates the container.
 */
export const SOURCE_FIELDS = Object.freeze({
  openstack: Object.freeze({
    driver: "replace",
    image: "replace",
    flavor: "update",
    networks: "replace",
    keyPair: "replace",
    userData: "replace",
    securityGroups: "update",
    metadata: "update",
    antiAffinity: "replace",
  }),
  docker: Object.freeze({
    driver: "replace",
    image: "replace",
    cpus: "replace",
    memoryMb: "replace",
    networks: "replace",
    env: "replace",
    command: "replace",
    ports: "replace",
    healthcheck: "replace",
  }),
  physical: Object.freeze({ driver: "replace" }),
} as const satisfies Record<TemplateSpec["driver"], Record<string, "replace" | "update">>);

export type SourceEffect = "replace" | "update";

/** The effect of changing `field` (fields of another driver count as `replace`). */
const EFFECTS: Readonly<Record<string, SourceEffect>> = {
  ...SOURCE_FIELDS.docker,
  ...SOURCE_FIELDS.openstack,
};

export function sourceEffect(field: string): SourceEffect {
  return EFFECTS[field] ?? "replace";
}

/**
 * A stable 64-bit digest of a JSON value (FNV-1a over its canonical JSON, 16 hex digits). Ledgers
 * keep these across versions: changing the function would report every device as replaced, so it
 * must never change. It only tells values apart; it protects nothing (user data stays out of state
 * either way, as only the digest is stored).
 */
export function digest(value: unknown): string {
  const text = canonicalJson(value);
  // Two 32-bit FNV-1a lanes with different offset bases: 64 bits without BigInt.
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ (c + 0x9e), 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

/**
 * Digests of what a template's devices are created from, from the spec's own values. Fields the
 * template leaves out have no entry. `null` values come only from callers that pass values not
 * known yet (see `PlanOptions.sources`).
 */
export function templateSource(template: TemplateSpec): Record<string, string | null> {
  const block: Record<string, unknown> | undefined =
    template.driver === "openstack"
      ? (template.openstack as unknown as Record<string, unknown> | undefined)
      : template.driver === "docker"
        ? (template.docker as unknown as Record<string, unknown> | undefined)
        : undefined;
  const out: Record<string, string | null> = { driver: digest(template.driver) };
  const fields = Object.keys(SOURCE_FIELDS[template.driver]).filter((f) => f !== "driver");
  for (const field of fields) {
    const value = block?.[field];
    if (value !== undefined) out[field] = digest(value);
  }
  return out;
}

/**
 * What a pool's devices are created from: its template's source, plus the anti-affinity policy for
 * OpenStack servers (their server group is ForceNew). Keys sorted.
 */
export function poolSource(
  pool: OwnedPoolSpec,
  template: TemplateSpec,
  templateSources: Record<string, string | null>,
): Record<string, string | null> {
  const out: Record<string, string | null> = { ...templateSources };
  if (template.driver === "openstack") out.antiAffinity = digest(pool.antiAffinity ?? "none");
  const sorted: Record<string, string | null> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return sorted;
}

/** Fields whose digest differs between two sources, sorted; unknown (`null`) fields are left out. */
export function changedFields(
  before: Record<string, string>,
  after: Record<string, string | null>,
): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => after[k] !== null && before[k] !== after[k]).sort();
}
