import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ledgerView } from "../../core/ledgerView";
import { planSpec } from "../../core/planSpec";
import { plan } from "../../core/plan";
import { loadSpec } from "../../schema/loader";

const EXAMPLES = path.join(__dirname, "..", "..", "examples");

describe("ledgerView", () => {
  it.each(["nfv-edge", "docker-lab", "physical-appliances", "mixed"])(
    "derives from the ledger of %s exactly the placements and device usage the planner reports",
    (name) => {
      const spec = planSpec(loadSpec(path.join(EXAMPLES, name, "fleet.yaml")));
      // One device unhealthy: the first whose loss the fleet survives (a pinned or sole device may not).
      const down = Object.keys(plan(spec).devices).find((d) => plan(spec, { health: { [d]: false } }).ok)!;
      const health = { [down]: false };
      const result = plan(spec, { health });
      expect(result.ok).toBe(true);
      const view = ledgerView(spec, result.ledger, health);
      expect(view.placements).toEqual(result.placements);
      const devices: Record<string, unknown> = {};
      for (const [d, r] of Object.entries(result.devices)) {
        const classes: Record<string, unknown> = {};
        for (const rc of Object.keys(r.capacity)) {
          classes[rc] = { total: r.capacity[rc], used: r.used[rc] ?? 0, free: r.free[rc] };
        }
        devices[d] = {
          pool: r.pool,
          zone: r.zone,
          healthy: r.healthy,
          classes,
          tenants: r.tenants,
          allocations: r.allocations,
        };
      }
      expect(view.capacity.devices).toEqual(devices);
      for (const [p, r] of Object.entries(result.pools)) {
        expect(view.capacity.pools[p].devices).toEqual(r.devices);
        expect(view.capacity.pools[p].busy).toBe(r.needed);
        expect(view.capacity.pools[p].standby).toBe(r.standby);
      }
    },
  );
});
