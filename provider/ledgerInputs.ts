/**
 * The Ledger's inputs as the planner takes them: the previous ledger from state (version 1 or 2),
 * and the `sources` digests (the engine's unknown value becomes "not known at plan time"). The
 * warnings a plan gives about busy devices are `core/warnings.ts`'s.
 */
import { digest, SOURCE_FIELDS } from "../core/sources";
import { EMPTY_LEDGER, isLedger } from "../core/ledger";
import { deviceIndex, deviceName } from "../core/model";
import type { FleetSpec, Ledger, LedgerV1, PlanError, TemplateSources } from "../core/types";

/**
 * The engine's placeholder for a value that is not known yet (preview): what a dynamic provider's
 * `check`/`diff` receive in place of it. The SDK's `pulumi.runtime.unknownValue` (a test holds the
 * two equal; this module does not load the SDK).
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The previous ledger from the old inputs (version 1 or 2); empty on create. */
export function previousLedger(olds: Record<string, unknown> | undefined): Ledger | LedgerV1 {
  const candidate = olds?.ledger;
  return isLedger(candidate) ? candidate : EMPTY_LEDGER;
}

/** A problem with an input, as the engine reports it. */
export interface InputFailure {
  property: string;
  reason: string;
}

/**
 * A planner error as the engine reports it: on the error's own path under `spec`
 * (`spec.allocations.tenant-b-fw`), never on `spec` itself. The engine prints a failure's property
 * with the input's value under that key, and the whole spec is hundreds of KiB at thousands of
 * allocations; a dotted path is no top-level key, so it prints no value. An error without a path
 * (the spec as a whole) has no property: the engine then prints the reason alone.
 */
export function planFailure(error: PlanError): InputFailure {
  if (error.path === "") return { property: "", reason: error.message };
  return { property: `spec.${error.path}`, reason: `${error.path}: ${error.message}` };
}

/**
 * The failure for inputs without a `spec`. The Ledger keeps its plan, not the spec, in state, so
 * the engine has no old `spec` to pass when `ignoreChanges` names it: `news` then lacks it.
 * Reported on `spec`, whose value is absent and prints as nothing.
 */
export function missingSpecFailure(spec: unknown): InputFailure {
  const got = spec === undefined ? "no `spec`" : `${spec === null ? "null" : typeof spec}`;
  return {
    property: "spec",
    reason:
      `the Ledger's \`spec\` must be the fleet spec, got ${got}: with \`ignoreChanges: ["spec"]\` the engine passes ` +
      `the previous inputs' \`spec\`, which the Ledger does not store (it keeps the plan, not the spec); ` +
      `remove \`spec\` from \`ignoreChanges\`, and to keep allocations on their devices pin them with ` +
      `\`allocations.<name>.device\``,
  };
}

/** Device names per pool of a ledger (version 1: pool sizes; version 2: devices), in index order. */
export function ledgerPoolDevices(ledger: Ledger | LedgerV1): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of Object.keys(ledger.pools).sort()) {
    const entry = ledger.pools[p];
    out[p] =
      typeof entry === "number"
        ? Array.from({ length: entry }, (_, i) => deviceName(p, i))
        : Object.keys(entry.devices).sort((a, b) => deviceIndex(a) - deviceIndex(b) || (a < b ? -1 : 1));
  }
  return out;
}

/** Every field of a driver's source unknown but `driver` itself, which the spec gives. */
function allUnknown(driver: FleetSpec["templates"][string]["driver"]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const field of Object.keys(SOURCE_FIELDS[driver])) out[field] = null;
  out.driver = digest(driver);
  return out;
}

/**
 * The `sources` input as the planner takes it: {@link UNKNOWN} becomes `null` (not known at plan
 * time). A template whose whole record is unknown gets every field of its driver unknown. `sources`
 * is `undefined` when the program passed none (the planner then reads the spec); templates the spec
 * does not have are left out. A value that is neither a string nor unknown is a failure.
 */
export function resolveSources(
  value: unknown,
  spec: FleetSpec,
): { sources?: TemplateSources; failures: InputFailure[] } {
  if (value === undefined || value === null) return { failures: [] };
  const templates = Object.keys(spec.templates).sort();
  if (value === UNKNOWN) {
    const sources: TemplateSources = {};
    for (const t of templates) sources[t] = allUnknown(spec.templates[t].driver);
    return { sources, failures: [] };
  }
  const failures: InputFailure[] = [];
  const given = isRecord(value) ? value : {};
  if (!isRecord(value)) {
    failures.push({ property: "sources", reason: "`sources` must map template names to field digests" });
  }
  const sources: TemplateSources = {};
  for (const t of templates) {
    const record = given[t];
    if (record === undefined) continue;
    if (record === UNKNOWN) {
      sources[t] = allUnknown(spec.templates[t].driver);
      continue;
    }
    if (!isRecord(record)) {
      failures.push({ property: `sources.${t}`, reason: `\`sources.${t}\` must map fields to digests` });
      continue;
    }
    const fields: Record<string, string | null> = {};
    for (const f of Object.keys(record).sort()) {
      const v = record[f];
      if (v === UNKNOWN) fields[f] = null;
      else if (typeof v === "string") fields[f] = v;
      else
        failures.push({
          property: `sources.${t}.${f}`,
          reason: `\`sources.${t}.${f}\` must be a digest (\`digest(value)\` of \`core/sources\`), got ${v === null ? "null" : typeof v}`,
        });
    }
    sources[t] = fields;
  }
  return failures.length > 0 ? { failures } : { sources, failures };
}
