/**
 * Semantic checks of a fleet spec: the rules JSON Schema cannot express (references between
 * templates, pools, devices and allocations; driver blocks; name collisions; ranges that must be
 * ordered). Pure: no I/O, never throws, never mutates its input, returns every problem at once.
 *
 * Each error has a dotted path with bracket indices (`pools.edge.devices[0].name`, see
 * `paths.ts`) and a message that names the object and field, states the rule with the actual
 * numbers, then gives the fix. The checks live by what they check: `validateTemplates.ts`,
 * `validatePools.ts` (pools and device names) and `validateAllocations.ts`.
 */
import { formatPath, type PathSegment } from "./paths";
import type { FleetSpec, PlanError } from "./types";
import { checkAllocation, type FleetPools } from "./validateAllocations";
import { checkDrain } from "./validateDrain";
import { isRec, own, rec, type Add } from "./validateInput";
import { checkBackend, checkDeviceNames, checkExternalPool, checkPool, type PoolInfo } from "./validatePools";
import { checkTemplate } from "./validateTemplates";

// The helpers `schema/` and older importers reach through this module; their homes are
// `paths.ts` and `suggest.ts`.
export { formatPath, parsePath } from "./paths";
export { closest, editDistance } from "./suggest";

/**
 * Checks what the schema cannot: references, driver blocks, device-name collisions, pins,
 * ordered ranges. Returns every error, in spec order; an empty list means the spec is sound.
 */
export function validateSpec(spec: FleetSpec): PlanError[] {
  return semanticIssues(spec).map((e) => ({ path: formatPath(e.segments), message: e.message }));
}

/** One semantic problem, at the segments of its path (`specCheck.ts` places them in the text). */
export interface SemanticIssue {
  segments: PathSegment[];
  message: string;
}

/** {@link validateSpec}'s problems with their paths as segments, in the same order. */
export function semanticIssues(spec: unknown): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const add = (segments: PathSegment[], message: string): void => {
    issues.push({ segments, message });
  };
  try {
    checkSpec(spec, add);
  } catch (e) {
    // Unreachable by design; kept so that plan() can rely on a list, never an exception.
    add(
      [],
      `the spec could not be checked (${e instanceof Error ? e.message : String(e)}): check its structure against \`schema/fleet.schema.json\``,
    );
  }
  return issues;
}

/**
 * Templates, then pools (each, then the backend external pools need, then device names), then
 * allocations, then `drain`.
 */
function checkSpec(input: unknown, add: Add): void {
  if (!isRec(input)) {
    add([], "the spec must be an object with `templates` and `pools`: add them");
    return;
  }
  const templates = rec(own(input, "templates"));
  const pools = rec(own(input, "pools"));
  const allocations = rec(own(input, "allocations"));
  const templateNames = Object.keys(templates);
  const poolNames = Object.keys(pools);

  for (const t of templateNames) checkTemplate(t, rec(templates[t]), add);

  const infos = new Map<string, PoolInfo>();
  for (const p of poolNames) {
    const pool = rec(pools[p]);
    infos.set(
      p,
      own(pool, "external") !== undefined
        ? checkExternalPool(p, pool, add)
        : checkPool(p, pool, templates, templateNames, add),
    );
  }
  checkBackend(input, infos, add);

  const fleet: FleetPools = {
    infos,
    poolNames,
    deviceOwner: checkDeviceNames(infos, add),
    eligibleCache: new Map(),
    unitCache: new Map(),
  };
  for (const a of Object.keys(allocations)) checkAllocation(a, rec(allocations[a]), fleet, add);
  checkDrain(own(input, "drain"), infos, add);
}
