/**
 * Explain benchmark (issue 11, point 5): `explainAllocation` of one allocation on the
 * 10,000-device, 100,000-allocation fleet, side by side with one plan of that fleet; from an empty
 * ledger and from the previous ledger; and an allocation that fits nowhere, with its fixes checked
 * by re-planning. Target: under 1 s.
 */
import { explainAllocation } from "../../core/explainAllocation";
import { plan } from "../../core/plan";
import type { FleetSpec } from "../../core/types";
import { largeFleet } from "./fleets";
import { fmtMs, heading, line, timeRuns } from "./util";

const RUNS = 5;
const TARGET_MS = 1000;

function explained(spec: FleetSpec, name: string, previous?: Parameters<typeof plan>[1]): string {
  const r = explainAllocation(spec, name, previous);
  if (!r.ok) throw new Error(`benchmark allocation ${name} was not explained: ${r.kind}`);
  return r.explanation.status;
}

export function main(): void {
  heading("explain: one allocation (issue 11)");
  const spec = largeFleet({ pools: 20, maxPerPool: 800, allocations: 100_000, tenants: 5_000 });
  const p = timeRuns(RUNS, () => plan(spec));
  if (!p.last.ok) throw new Error(`benchmark fleet did not plan: ${p.last.errors[0]?.message}`);
  line("one plan of the fleet (10,000 devices, 100,000 allocations)", fmtMs(p.median));

  const name = "svc-050000";
  const a = timeRuns(RUNS, () => explained(spec, name));
  const verdict = (ms: number): string =>
    `${(ms / p.median).toFixed(2)}x one plan (target < ${fmtMs(TARGET_MS)}: ${ms < TARGET_MS ? "met" : "missed"})`;
  line(`(a) ${name}, empty ledger (${a.last})`, fmtMs(a.median), verdict(a.median));

  const previous = { previous: p.last.ledger };
  const b = timeRuns(RUNS, () => explained(spec, name, previous));
  line(`(b) ${name}, previous ledger (${b.last})`, fmtMs(b.median), verdict(b.median));

  // A new allocation no device can take: a trait no template has (fixes: each one re-planned).
  const stuck: FleetSpec = {
    ...spec,
    allocations: {
      ...spec.allocations,
      "zz-stuck": { ...spec.allocations!["svc-050000"], require: ["CUSTOM_NOWHERE"], tenant: "tenant-new" },
    },
  };
  const c = timeRuns(RUNS, () => explained(stuck, "zz-stuck", previous));
  line(
    `(c) a new allocation that fits nowhere (${c.last}), fixes checked`,
    fmtMs(c.median),
    verdict(c.median),
  );
}
