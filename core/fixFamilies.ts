/**
 * The candidates of the one fix checker (`fixCheck.ts`): every single spec change that may place an
 * allocation, in the order they are checked, each screened on the board first.
 */
import {
  someDevice,
  withAllocation,
  withPool,
  withTemplate,
  newDeviceMayTake,
  amountThatFits,
  othersFit,
  isolationFor,
  usedNames,
  blockersOf,
  MAX_GROWTH,
  type FixCandidate,
  type FixContext,
  type FixFamily,
} from "./fixBoard";
import { bt, type Dev, Refusal } from "./planModel";
import type { DeclaredDeviceSpec, FleetSpec, OwnedPoolSpec } from "./types";

/**
 * Every single spec change that may place `ctx.a`, in the order they are checked: one-re-plan
 * candidates first (relaxations, a demand that fits, shared tenancy, undraining), then growth,
 * which needs a search. Each is screened on the board; the re-plan decides.
 */
export function fixFamilies(ctx: FixContext): FixFamily[] {
  const { spec, a } = ctx;
  const name = a.name;
  const path = (p: string): string => `allocations.${name}.${p}`;
  const out: FixFamily[] = [];
  const one = (fix: FixCandidate): void => void out.push({ fix, kind: "one" });
  const own = spec.allocations![name];
  if (a.pools.length === 0) {
    // No pool is eligible: the service type is what keeps it out.
    const type = own.serviceType;
    if (type === undefined) return out;
    one({
      change: `drop \`${path("serviceType")}\` (${bt(type)})`,
      edit: (s) => withAllocation(s, name, (x) => delete x.serviceType),
      path: path("serviceType"),
      size: 1,
    });
    const templates = new Set<string>();
    for (const p of own.pools ?? Object.keys(spec.pools).sort()) {
      const pool = spec.pools[p] as OwnedPoolSpec | undefined;
      if (pool?.template !== undefined) templates.add(pool.template);
    }
    for (const t of [...templates].sort()) {
      const types = spec.templates[t].serviceTypes;
      if (types === undefined) continue;
      one({
        change: `add ${bt(type)} to \`templates.${t}.serviceTypes\``,
        edit: (s) =>
          withTemplate(
            s,
            t,
            (x) =>
              (x.serviceTypes = x.serviceTypes?.includes(type)
                ? x.serviceTypes
                : [...(x.serviceTypes ?? []), type]),
          ),
        path: `templates.${t}.serviceTypes`,
        size: 1,
      });
    }
    return out;
  }
  const all = new Map<Dev, Set<Refusal>>();
  for (const p of a.pools) for (const d of p.devices) all.set(d, blockersOf(ctx, d));
  // A pinned allocation goes to its pin or nowhere: relaxations are screened on that device.
  const blockers = a.pin === null ? all : new Map([...all].filter(([d]) => d.name === a.pin));
  if (a.pin !== null) {
    const pin = a.pin;
    if ([...all].some(([d, b]) => d.name !== pin && b.size === 0))
      one({
        change: `unpin it (\`${path("device")}\`)`,
        edit: (s) => withAllocation(s, name, (x) => delete x.device),
        path: path("device"),
        size: 1,
      });
    // The pinned device is a created pool's slot past its `max`: a larger `max` makes it.
    for (const p of a.pools) {
      const n = pin.startsWith(`${p.name}-`) ? Number(pin.slice(p.name.length + 1)) : NaN;
      if (p.declared || p.spec.size !== undefined || !Number.isInteger(n) || n < p.limit) continue;
      if (!newDeviceMayTake(p, a, false)) continue;
      one({
        change: `raise \`pools.${p.name}.max\` from ${p.limit} to ${n + 1} (${n + 1 - p.limit === 1 ? "1 device" : `${n + 1 - p.limit} devices`} more)`,
        edit: (s) => withPool(s, p.name, (x) => (x.max = n + 1)),
        path: `pools.${p.name}.max`,
        size: n + 1 - p.limit,
      });
    }
  }
  // Relaxations of the allocation's own constraints.
  if (someDevice(blockers, [Refusal.Traits])) {
    for (const t of a.require)
      one({
        change: `drop trait ${bt(t)} from \`${path("require")}\``,
        edit: (s) => withAllocation(s, name, (x) => (x.require = (x.require ?? []).filter((y) => y !== t))),
        path: path("require"),
        size: 1,
      });
    for (const t of a.forbid)
      one({
        change: `drop trait ${bt(t)} from \`${path("forbid")}\``,
        edit: (s) => withAllocation(s, name, (x) => (x.forbid = (x.forbid ?? []).filter((y) => y !== t))),
        path: path("forbid"),
        size: 1,
      });
    a.requireAny.forEach((set, i) =>
      one({
        change: `drop ${set.map(bt).join("/")} from \`${path("requireAny")}\``,
        edit: (s) =>
          withAllocation(s, name, (x) => (x.requireAny = (x.requireAny ?? []).filter((_, j) => j !== i))),
        path: path("requireAny"),
        size: 1,
      }),
    );
  }
  if (a.zone !== null) {
    const zone = a.zone;
    const zones = new Set<string>();
    for (const [d, b] of blockers)
      if (d.zone !== null && d.zone !== zone && [...b].every((r) => r === Refusal.Zone)) zones.add(d.zone);
    for (const z of [...zones].sort())
      one({
        change: `change \`${path("zone")}\` from ${bt(zone)} to ${bt(z)}`,
        edit: (s) => withAllocation(s, name, (x) => (x.zone = z)),
        path: path("zone"),
        size: 1,
      });
    if (someDevice(blockers, [Refusal.Zone]))
      one({
        change: `drop \`${path("zone")}\` (any zone)`,
        edit: (s) => withAllocation(s, name, (x) => delete x.zone),
        path: path("zone"),
        size: 1,
      });
    for (const p of a.pools) {
      const zs = p.spec.zones ?? [];
      // A declared device's zone is its own; a created pool lists where new devices go.
      if (p.declared || zs.length === 0 || !newDeviceMayTake(p, a, false)) continue;
      one({
        change: `add zone ${bt(zone)} to \`pools.${p.name}.zones\``,
        edit: (s) =>
          withPool(
            s,
            p.name,
            (x) => (x.zones = (x.zones ?? []).includes(zone) ? x.zones : [...(x.zones ?? []), zone]),
          ),
        path: `pools.${p.name}.zones`,
        size: 1,
      });
    }
  }
  if (a.group !== null && someDevice(blockers, [Refusal.Group])) {
    const group = a.group;
    one({
      change: `leave anti-affinity group ${bt(group)} (\`${path("antiAffinityGroup")}\`)`,
      edit: (s) => withAllocation(s, name, (x) => delete x.antiAffinityGroup),
      path: path("antiAffinityGroup"),
      size: 1,
    });
  }
  // A demand that fits: lower a class to what a device has free, or onto the unit rules' step.
  for (const [rc, amount] of a.demand) {
    let down: number | null = null;
    let up: number | null = null;
    for (const [d, b] of blockers) {
      if (![...b].every((r) => r === Refusal.Capacity || r === Refusal.Units) || !othersFit(d, a, rc))
        continue;
      const lower = amountThatFits(d, rc, amount, false);
      if (lower !== null && (down === null || lower > down)) down = lower;
      if (b.has(Refusal.Units)) {
        const higher = amountThatFits(d, rc, amount, true);
        if (higher !== null && (up === null || higher < up)) up = higher;
      }
    }
    for (const v of [down, up]) {
      if (v === null) continue;
      one({
        change: `${v < amount ? "lower" : "raise"} \`${path(`demand.${rc}`)}\` from ${amount} to ${v}`,
        edit: (s) => withAllocation(s, name, (x) => (x.demand[rc] = v)),
        path: path(`demand.${rc}`),
        size: 1,
      });
    }
  }
  // Shared tenancy where dedicated devices are the cause.
  const templates = [...new Set(a.pools.map((p) => p.templateName))];
  for (const t of templates) {
    const template = spec.templates[t];
    if ((template.tenancy?.mode ?? "dedicated") !== "dedicated") continue;
    if (!someDevice(blockers, [Refusal.Dedicated], (d) => d.pool.templateName === t)) continue;
    const isolation = isolationFor(template);
    const tenants = new Set(Object.values(spec.allocations ?? {}).map((x) => x.tenant)).size;
    const last = Math.max(1, Math.min(tenants, 4094));
    one({
      change: `make template ${bt(t)} shared (\`templates.${t}.tenancy\`: mode \`shared\`, isolation \`${isolation}\`, contexts 1-${last})`,
      edit: (s) =>
        withTemplate(s, t, (x) => (x.tenancy = { contexts: { first: 1, last }, isolation, mode: "shared" })),
      path: `templates.${t}.tenancy`,
      size: 1,
    });
  }
  // Drained devices taken out of `drain`, each on its own.
  for (const [d, b] of blockers) {
    if (!d.drained || ![...b].every((r) => r === Refusal.Drained)) continue;
    const listed = (e: NonNullable<FleetSpec["drain"]>[number]): boolean =>
      (typeof e === "string" ? e : e.device) === d.name;
    one({
      change: `take ${bt(d.name)} out of \`drain\``,
      edit: (s) => ({ ...s, drain: (s.drain ?? []).filter((e) => !listed(e)) }),
      path: "drain",
      size: 1,
    });
  }
  // Growth: isolation contexts of shared templates, devices of the pools.
  for (const t of templates) {
    const tenancy = spec.templates[t].tenancy;
    if (tenancy?.mode !== "shared") continue;
    if (!someDevice(blockers, [Refusal.Contexts], (d) => d.pool.templateName === t)) continue;
    const { first, last } = tenancy.contexts;
    const most = Math.min(MAX_GROWTH, (tenancy.isolation === "vlan" ? 4094 : Number.MAX_SAFE_INTEGER) - last);
    out.push({
      kind: "growth",
      make: (k) => ({
        change: `widen \`templates.${t}.tenancy.contexts\` to ${first}-${last + k} (${k} more)`,
        edit: (s) =>
          withTemplate(s, t, (x) => {
            if (x.tenancy?.mode === "shared") x.tenancy.contexts.last = last + k;
          }),
        path: `templates.${t}.tenancy.contexts.last`,
        size: k,
      }),
      most,
    });
  }
  let names: Set<string> | null = null;
  for (const p of a.pin === null ? a.pools : []) {
    if (!newDeviceMayTake(p, a, !p.declared)) continue;
    const more = (k: number): string => (k === 1 ? "1 device" : `${k} devices`);
    if (!p.declared) {
      const field = p.spec.size !== undefined ? "size" : "max";
      const limit = p.limit;
      out.push({
        kind: "growth",
        make: (k) => ({
          change: `raise \`pools.${p.name}.${field}\` from ${limit} to ${limit + k} (${more(k)} more)`,
          edit: (s) => withPool(s, p.name, (x) => (x[field] = limit + k)),
          path: `pools.${p.name}.${field}`,
          size: k,
        }),
        most: MAX_GROWTH,
      });
      continue;
    }
    // A declared pool's size is its `devices` list: another appliance like its template.
    const zones = p.spec.zones ?? [];
    if (a.zone !== null && zones.length > 0 && !zones.includes(a.zone)) continue;
    names ??= usedNames(spec, a.pools);
    const taken = names;
    const fresh = (k: number): string[] => {
      const out: string[] = [];
      for (let i = 1; out.length < k; i++)
        if (!taken.has(`${p.name}-new-${i}`)) out.push(`${p.name}-new-${i}`);
      return out;
    };
    const where = a.zone !== null ? ` in zone ${bt(a.zone)}` : "";
    out.push({
      kind: "growth",
      make: (k) => ({
        change: `declare ${k === 1 ? "another device" : `${k} more devices`}${where} in \`pools.${p.name}.devices\` (as template ${bt(p.templateName)})`,
        edit: (s) =>
          withPool(s, p.name, (x) => {
            const added: DeclaredDeviceSpec[] = fresh(k).map((n) =>
              a.zone !== null ? { name: n, zone: a.zone } : { name: n },
            );
            x.devices = [...(x.devices ?? []), ...added];
          }),
        path: `pools.${p.name}.devices`,
        size: k,
      }),
      most: 64,
    });
  }
  return out;
}
