/**
 * Semantic checks of allocations against the pools: listed pools exist, some eligible pool offers
 * the service type, the zone and every demanded class, trait sets are not empty, and a device pin
 * names a device the allocation may land on.
 */
import { closest, codeList, suggestion } from "./suggest";
import { list, num, own, rec, str, type Add, type Rec } from "./validateInput";
import { splitCreatedName, type PoolInfo } from "./validatePools";
import { refusedByAll, unitError, unitSources, type UnitSource } from "./validateUnits";

/** The pools of the whole spec, as the allocation checks read them. */
export interface FleetPools {
  infos: Map<string, PoolInfo>;
  poolNames: string[];
  /** Declared device name -> its pool. */
  deviceOwner: Map<string, PoolInfo>;
  /** Eligible pools per pool selection and service type: fleets repeat these across allocations. */
  eligibleCache: Map<string, PoolInfo[]>;
  /** The inventories of a class in a pool (`pool \u0000 class`), for the unit rules. */
  unitCache: Map<string, UnitSource[]>;
}

/** One allocation while it is checked. */
interface Allocation {
  name: string;
  spec: Rec;
  /** `allocation \`name\``, as messages start. */
  owner: string;
  /** The defined pools it lists, or `undefined` when it lists none (then any pool may host it). */
  listed: PoolInfo[] | undefined;
  /** Whether an external pool could host it: Placement decides there, so some checks stay quiet. */
  external: boolean;
}

/** Checks allocation `a`; reports every problem through `add`. */
export function checkAllocation(a: string, spec: Rec, fleet: FleetPools, add: Add): void {
  const owner = `allocation \`${a}\``;
  const listed = Array.isArray(own(spec, "pools")) ? listedPools(a, owner, spec, fleet, add) : undefined;
  const base = listed ?? [...fleet.infos.values()];
  // External pools host any service type in any zone with any class as far as this fleet knows:
  // Placement decides, so the checks below only speak when no external pool is eligible.
  const alloc: Allocation = {
    name: a,
    spec,
    owner,
    listed,
    external: base.some((i) => i.external !== undefined),
  };
  const eligible = eligiblePools(alloc, base, fleet.eligibleCache, add);
  checkZone(alloc, eligible, add);
  checkDemand(alloc, eligible, fleet, add);
  checkRequireAny(alloc, add);
  const device = str(own(spec, "device"));
  if (device !== undefined) checkPin(alloc, device, eligible, fleet, add);
}

/** The defined pools of an allocation's `pools`, reporting the undefined ones. */
function listedPools(a: string, owner: string, spec: Rec, fleet: FleetPools, add: Add): PoolInfo[] {
  const known: PoolInfo[] = [];
  list(own(spec, "pools")).forEach((p, i) => {
    if (typeof p !== "string") return;
    const info = fleet.infos.get(p);
    if (info) known.push(info);
    else
      add(
        ["allocations", a, "pools", i],
        `${owner} lists pool \`${p}\`, which is not defined: ${suggestion(p, fleet.poolNames, "pool")}`,
      );
  });
  return known;
}

/**
 * The owned pools whose template lists the allocation's `serviceType` (or lists none). When none
 * does, that is reported and the check goes on with every owned pool of the selection, so the
 * other checks still speak; with an external pool in the selection, none is eligible here.
 */
function eligiblePools(
  alloc: Allocation,
  base: PoolInfo[],
  cache: Map<string, PoolInfo[]>,
  add: Add,
): PoolInfo[] {
  const withTemplate = base.filter((i) => i.template !== undefined);
  const serviceType = str(own(alloc.spec, "serviceType"));
  if (serviceType === undefined || withTemplate.length === 0) return withTemplate;
  const key = `${alloc.listed ? alloc.listed.map((i) => i.name).join(",") : "*"}|${serviceType}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = withTemplate.filter((i) => i.serviceTypes === undefined || i.serviceTypes.includes(serviceType));
    cache.set(key, hit);
  }
  if (hit.length > 0) return hit;
  if (alloc.external) return [];
  const offered = [...new Set(withTemplate.flatMap((i) => i.serviceTypes ?? []))].sort();
  const scope = alloc.listed ? `its pools (${codeList(alloc.listed.map((i) => i.name))})` : "any pool";
  add(
    ["allocations", alloc.name, "serviceType"],
    `${alloc.owner} has \`serviceType: ${serviceType}\`, which no template of ${scope} lists in \`serviceTypes\` (they list ${codeList(offered)}): add \`${serviceType}\` to a template's \`serviceTypes\`${alloc.listed ? " or change `pools`" : ""}`,
  );
  return withTemplate;
}

/** `zone` must be one of the eligible pools' zones (declared device zones count). */
function checkZone(alloc: Allocation, eligible: PoolInfo[], add: Add): void {
  const zone = str(own(alloc.spec, "zone"));
  if (zone === undefined || alloc.external || eligible.length === 0) return;
  if (eligible.some((i) => i.zones.has(zone))) return;
  const zones = [...new Set(eligible.flatMap((i) => [...i.zones]))].sort();
  add(
    ["allocations", alloc.name, "zone"],
    zones.length === 0
      ? `${alloc.owner} wants \`zone: ${zone}\`, but none of its eligible pools (${codeList(eligible.map((i) => i.name))}) has zones: add \`zones: [${zone}]\` to a pool or remove \`zone\``
      : `${alloc.owner} wants \`zone: ${zone}\`, but its eligible pools only have zones ${codeList(zones)}: use one of them or add \`${zone}\` to a pool's \`zones\``,
  );
}

/**
 * Every demanded class must exist on some eligible template (or declared device override), and
 * some device must take the amount by Placement's unit rules (`validateUnits.ts`).
 */
function checkDemand(alloc: Allocation, eligible: PoolInfo[], fleet: FleetPools, add: Add): void {
  if (eligible.length === 0 || alloc.external) return;
  const demand = rec(own(alloc.spec, "demand"));
  for (const rc of Object.keys(demand)) {
    if (eligible.some((i) => i.classes.has(rc))) {
      checkUnits(alloc, rc, num(demand[rc]), eligible, fleet, add);
      continue;
    }
    const have = [...new Set(eligible.flatMap((i) => [...i.classes]))].sort();
    const near = closest(rc, have);
    add(
      ["allocations", alloc.name, "demand", rc],
      `${alloc.owner} demands ${String(demand[rc])} \`${rc}\`, which no template of its eligible pools (${codeList(eligible.map((i) => i.name))}) has in \`capacity\` (they have ${codeList(have)}): ${near !== undefined ? `did you mean \`${near}\`? Otherwise ` : ""}add \`${rc}\` to a template's \`capacity\` or drop it from \`demand\``,
    );
  }
}

/** The inventories of class `rc` in `pool`, read once per fleet. */
function sourcesOf(fleet: FleetPools, pool: PoolInfo, rc: string): UnitSource[] {
  const key = `${pool.name}\u0000${rc}`;
  let hit = fleet.unitCache.get(key);
  if (hit === undefined) fleet.unitCache.set(key, (hit = unitSources(pool, rc)));
  return hit;
}

/** A whole amount every eligible device refuses by a unit rule is an error with the amounts that work. */
function checkUnits(
  alloc: Allocation,
  rc: string,
  amount: number | undefined,
  eligible: PoolInfo[],
  fleet: FleetPools,
  add: Add,
): void {
  if (amount === undefined || !Number.isInteger(amount) || amount < 1) return;
  const sources = eligible.flatMap((i) => sourcesOf(fleet, i, rc));
  if (!refusedByAll(sources, amount)) return;
  // Pools it does not list but could: owned, with a template that hosts its service type.
  const serviceType = str(own(alloc.spec, "serviceType"));
  const others = alloc.listed
    ? [...fleet.infos.values()]
        .filter(
          (i) =>
            i.template !== undefined &&
            !eligible.includes(i) &&
            (serviceType === undefined ||
              i.serviceTypes === undefined ||
              i.serviceTypes.includes(serviceType)),
        )
        .flatMap((i) => sourcesOf(fleet, i, rc))
    : [];
  const message = unitError(alloc.owner, rc, amount, sources, others);
  if (message !== undefined) add(["allocations", alloc.name, "demand", rc], message);
}

/** Every `requireAny` set must name at least one trait. */
function checkRequireAny(alloc: Allocation, add: Add): void {
  list(own(alloc.spec, "requireAny")).forEach((set, i) => {
    if (Array.isArray(set) && set.length === 0) {
      add(
        ["allocations", alloc.name, "requireAny", i],
        `${alloc.owner} has an empty trait set at \`requireAny[${i}]\`, which no device can meet: list at least one trait in it or remove it`,
      );
    }
  });
}

/** A device pin must name a device of a pool this fleet owns, among the allocation's pools. */
function checkPin(
  alloc: Allocation,
  device: string,
  eligible: PoolInfo[],
  fleet: FleetPools,
  add: Add,
): void {
  const path = ["allocations", alloc.name, "device"];
  const { owner, listed } = alloc;
  const split = splitCreatedName(device);
  const externalOwner = split ? fleet.infos.get(split[0]) : undefined;
  const onlyExternal = listed !== undefined && listed.length > 0 && listed.every((i) => i.external);
  if (externalOwner?.external !== undefined || onlyExternal) {
    const where =
      externalOwner?.external !== undefined
        ? `pool \`${externalOwner.name}\` is external (owned by fleet \`${externalOwner.external.fleet}\`)`
        : listed!.length === 1
          ? `its pool \`${listed![0].name}\` is external (owned by fleet \`${listed![0].external!.fleet}\`)`
          : `its pools ${codeList(listed!.map((i) => i.name))} are all external`;
    add(
      path,
      `${owner} is pinned to device \`${device}\`, but ${where}, and Placement chooses the device in another fleet's pool: remove \`device\`, or pin to a device of a pool this fleet owns`,
    );
    return;
  }
  let pool = fleet.deviceOwner.get(device);
  if (!pool) {
    const candidate = split ? fleet.infos.get(split[0]) : undefined;
    if (split && candidate && candidate.created) {
      if (split[1] >= candidate.limit) {
        add(
          path,
          `${owner} is pinned to device \`${device}\`, but pool \`${candidate.name}\` has at most ${candidate.limit} devices (\`${candidate.name}-0\`..\`${candidate.name}-${candidate.limit - 1}\`): pin to one of them or raise \`pools.${candidate.name}.${own(candidate.spec, "size") !== undefined ? "size" : "max"}\` to at least ${split[1] + 1}`,
        );
        return;
      }
      pool = candidate;
    }
  }
  if (!pool) {
    const near = closest(device, [...fleet.deviceOwner.keys()]);
    add(
      path,
      `${owner} is pinned to device \`${device}\`, which no pool has (declared devices are named in \`devices\`, created ones \`<pool>-<n>\`): ${near !== undefined ? `did you mean \`${near}\`?` : "pin to an existing device or remove `device`"}`,
    );
    return;
  }
  if (listed !== undefined && !listed.includes(pool)) {
    add(
      path,
      `${owner} is pinned to device \`${device}\` of pool \`${pool.name}\`, which is not among its \`pools\` (${codeList(listed.map((i) => i.name))}): add \`${pool.name}\` to \`pools\` or pin to a device of ${listed.length === 1 ? "that pool" : "those pools"}`,
    );
  } else if (listed === undefined && eligible.length > 0 && !eligible.includes(pool)) {
    add(
      path,
      `${owner} is pinned to device \`${device}\` of pool \`${pool.name}\`, whose template \`${pool.templateName}\` does not list its \`serviceType\` (eligible pools: ${codeList(eligible.map((i) => i.name))}): pin to a device of an eligible pool or add the service type to \`templates.${pool.templateName}.serviceTypes\``,
    );
  }
}
