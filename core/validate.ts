/**
 * Semantic checks of a fleet spec: the rules JSON Schema cannot express (references between
 * templates, pools, devices and allocations; driver blocks; name collisions; ranges that must be
 * ordered). Pure: no I/O, never throws, never mutates its input, returns every problem at once.
 *
 * Each error has a dotted path with bracket indices (`pools.edge.devices[0].name`) and a message
 * that names the object and field, states the rule with the actual numbers, then gives the fix.
 */
import { PLACEMENT_MAX_INT } from "./inventory";
import type { FleetSpec, PlanError } from "./types";

/** Default `max` of a created pool (DESIGN §2). */
const DEFAULT_MAX = 100;
/** IEEE 802.1Q VLAN ids. */
const VLAN_FIRST = 1;
const VLAN_LAST = 4094;

const BARE_SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Formats path segments as `a.b[0].c`; keys that are not plain identifiers are quoted: `a["x.y"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = "";
  for (const seg of segments) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (BARE_SEGMENT.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Splits a dotted path with bracket indices into segments: `pools.edge.devices[0].name` ->
 * `["pools", "edge", "devices", 0, "name"]`. Quoted keys (`a["x.y"]`) come back as strings.
 * The inverse of {@link formatPath}; never throws (a malformed tail is kept as one segment).
 */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  let i = 0;
  let bare = "";
  const flush = (): void => {
    if (bare !== "") out.push(bare);
    bare = "";
  };
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      flush();
      i++;
    } else if (c === "[") {
      flush();
      const close = path[i + 1] === '"' ? findQuotedEnd(path, i + 1) : path.indexOf("]", i);
      if (close < 0) {
        bare = path.slice(i);
        break;
      }
      const inner = path.slice(i + 1, close);
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (inner.startsWith('"')) out.push(unquote(inner));
      else out.push(inner);
      i = close + 1;
    } else {
      bare += c;
      i++;
    }
  }
  flush();
  return out;
}

/** Index of the `]` after a JSON string starting at `start`, or -1. */
function findQuotedEnd(path: string, start: number): number {
  let i = start + 1;
  while (i < path.length) {
    if (path[i] === "\\") i += 2;
    else if (path[i] === '"') return path[i + 1] === "]" ? i + 1 : -1;
    else i++;
  }
  return -1;
}

function unquote(quoted: string): string {
  try {
    const v: unknown = JSON.parse(quoted);
    return typeof v === "string" ? v : quoted;
  } catch {
    return quoted;
  }
}

// ---------------------------------------------------------------------------------------------
// Defensive access: the input is typed, but plain JavaScript callers and half-valid documents
// reach this function too. Nothing below may throw.

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function rec(v: unknown): Rec {
  return isRec(v) ? v : {};
}

function own(r: Rec, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(r, key) ? r[key] : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function strings(v: unknown): string[] {
  return list(v).filter((x): x is string => typeof x === "string");
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** `a`, `b` and `c` in backticks, at most `limit` of them. */
function codeList(names: readonly string[], limit = 8): string {
  const shown = names.slice(0, limit).map((n) => `\`${n}\``);
  const more = names.length > limit ? ` and ${names.length - limit} more` : "";
  return shown.join(", ") + more;
}

/** Levenshtein distance, bounded: returns `max + 1` as soon as it is exceeded. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** The closest candidate within a distance that scales with the word, or `undefined`. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const max = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestD = max + 1;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase(), max);
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= max ? best : undefined;
}

/** "did you mean `x`?" or the list of what exists. */
function suggestion(word: string, candidates: readonly string[], kind: string): string {
  const near = closest(word, candidates);
  if (near !== undefined) return `did you mean \`${near}\`?`;
  if (candidates.length === 0) return `no ${kind} is defined yet`;
  return `defined ${kind}s: ${codeList([...candidates].sort())}`;
}

// ---------------------------------------------------------------------------------------------

interface PoolInfo {
  name: string;
  spec: Rec;
  templateName: string | undefined;
  template: Rec | undefined;
  driver: string | undefined;
  /** Created pools get `<pool>-<n>` devices for n < limit; declared pools list theirs. */
  created: boolean;
  limit: number;
  declared: string[];
  zones: Set<string>;
  classes: Set<string>;
  serviceTypes: string[] | undefined;
  /** Set on a pool another fleet owns: `{ fleet, pool }`. */
  external: { fleet: string; pool: string } | undefined;
}

const DRIVER_BLOCKS = ["openstack", "docker", "physical"] as const;

const DRIVER_BLOCK_HINT: Record<string, string> = {
  openstack: "`openstack: { image: { name: ... }, flavor: { name: ... }, networks: [...] }`",
  docker: '`docker: { image: "..." }`',
};

/**
 * Checks what the schema cannot: references, driver blocks, device-name collisions, pins,
 * ordered ranges. Returns every error, in spec order; an empty list means the spec is sound.
 */
export function validateSpec(spec: FleetSpec): PlanError[] {
  const errors: PlanError[] = [];
  const add = (segments: (string | number)[], message: string): void => {
    errors.push({ path: formatPath(segments), message });
  };
  try {
    run(spec, add);
  } catch (e) {
    // Unreachable by design; kept so that plan() can rely on a list, never an exception.
    add(
      [],
      `the spec could not be checked (${e instanceof Error ? e.message : String(e)}): check its structure against \`schema/fleet.schema.json\``,
    );
  }
  return errors;
}

type Add = (segments: (string | number)[], message: string) => void;

function run(input: unknown, add: Add): void {
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

  const deviceOwner = checkDeviceNames(infos, add);

  const eligibleCache = new Map<string, PoolInfo[]>();
  for (const a of Object.keys(allocations)) {
    checkAllocation(a, rec(allocations[a]), infos, poolNames, deviceOwner, eligibleCache, add);
  }
}

function checkInventory(owner: string, segments: (string | number)[], capacity: Rec, add: Add): void {
  for (const rc of Object.keys(capacity)) {
    const inv = capacity[rc];
    if (!isRec(inv)) continue;
    const total = num(own(inv, "total"));
    const reserved = num(own(inv, "reserved"));
    const minUnit = num(own(inv, "minUnit")) ?? 1;
    const maxUnit = num(own(inv, "maxUnit")) ?? PLACEMENT_MAX_INT;
    if (total !== undefined && reserved !== undefined && reserved > total) {
      add(
        [...segments, rc, "reserved"],
        `${owner} reserves ${reserved} \`${rc}\` of a total of ${total}: \`reserved\` must be at most \`total\`; lower \`reserved\` or raise \`total\``,
      );
    }
    if (minUnit > maxUnit) {
      add(
        [...segments, rc, "minUnit"],
        `${owner} has \`minUnit: ${minUnit}\` above \`maxUnit: ${maxUnit}\` for \`${rc}\`, so no amount fits: lower \`minUnit\` or raise \`maxUnit\``,
      );
    }
  }
}

function checkTemplate(t: string, tpl: Rec, add: Add): void {
  const driver = str(own(tpl, "driver"));
  const owner = `template \`${t}\``;
  if (driver !== undefined && (DRIVER_BLOCKS as readonly string[]).includes(driver)) {
    for (const block of DRIVER_BLOCKS) {
      if (block === driver || own(tpl, block) === undefined) continue;
      add(
        ["templates", t, block],
        `${owner} has \`driver: ${driver}\` but a \`${block}\` block; only the block named by \`driver\` is allowed: remove \`${block}\` or set \`driver: ${block}\``,
      );
    }
    const mine = own(tpl, driver);
    if (driver !== "physical" && mine === undefined) {
      add(
        ["templates", t],
        `${owner} has \`driver: ${driver}\` but no \`${driver}\` block: add ${DRIVER_BLOCK_HINT[driver]}`,
      );
    }
    if (driver === "physical" && mine !== undefined && (!isRec(mine) || Object.keys(mine).length > 0)) {
      add(
        ["templates", t, "physical"],
        `${owner} has a non-empty \`physical\` block; physical templates take no settings yet: remove it or leave it \`{}\``,
      );
    }
  }
  checkInventory(owner, ["templates", t, "capacity"], rec(own(tpl, "capacity")), add);

  const tenancy = own(tpl, "tenancy");
  if (isRec(tenancy) && own(tenancy, "mode") === "shared") {
    const contexts = rec(own(tenancy, "contexts"));
    const first = num(own(contexts, "first"));
    const last = num(own(contexts, "last"));
    const path = ["templates", t, "tenancy", "contexts"];
    if (first !== undefined && last !== undefined && first > last) {
      add(
        path,
        `${owner} has an empty context range: \`first: ${first}\` is above \`last: ${last}\`, so no tenant can be placed: set \`last\` to at least ${first}`,
      );
    } else if (
      own(tenancy, "isolation") === "vlan" &&
      first !== undefined &&
      last !== undefined &&
      (first < VLAN_FIRST || last > VLAN_LAST)
    ) {
      add(
        path,
        `${owner} has VLAN contexts ${first}..${last}, outside the VLAN ids ${VLAN_FIRST}..${VLAN_LAST}: keep \`first\` and \`last\` within ${VLAN_FIRST}..${VLAN_LAST}`,
      );
    }
  }
}

/**
 * A pool another fleet owns: `external` and nothing else, since its devices, template and size
 * are that fleet's business.
 */
function checkExternalPool(p: string, pool: Rec, add: Add): PoolInfo {
  const ext = rec(own(pool, "external"));
  const fleet = str(own(ext, "fleet")) ?? "";
  const name = str(own(ext, "pool")) ?? p;
  const others = Object.keys(pool).filter((k) => k !== "external");
  if (others.length > 0) {
    add(
      ["pools", p, others[0]],
      `pool \`${p}\` is external (owned by fleet \`${fleet}\`) but also sets ${codeList(others)}; \`external\` excludes every other pool field, because the pool's devices belong to fleet \`${fleet}\`: remove ${others.length > 1 ? "them" : "it"}, or remove \`external\` to own the pool here`,
    );
  }
  return {
    name: p,
    spec: pool,
    templateName: undefined,
    template: undefined,
    driver: undefined,
    created: false,
    limit: 0,
    declared: [],
    zones: new Set(),
    classes: new Set(),
    serviceTypes: undefined,
    external: { fleet, pool: name },
  };
}

/** External pools are claimed through OpenStack Placement, so they need `backend: { kind: placement }`. */
function checkBackend(input: Rec, infos: Map<string, PoolInfo>, add: Add): void {
  const external = [...infos.values()].filter((i) => i.external !== undefined).map((i) => i.name);
  if (external.length === 0) return;
  const backend = own(input, "backend");
  const kind = isRec(backend) ? (str(own(backend, "kind")) ?? "state") : "state";
  if (kind === "placement") return;
  const pools = `${external.length === 1 ? "pool" : "pools"} ${codeList(external)}`;
  add(
    backend === undefined ? ["backend"] : ["backend", "kind"],
    `${pools} ${external.length === 1 ? "is" : "are"} owned by another fleet and can only be claimed through OpenStack Placement, but \`backend.kind\` is \`${kind}\`${backend === undefined ? " (the default)" : ""}: set \`backend: { kind: placement }\` (with \`endpoint\` or \`cloud\`), or own the ${external.length === 1 ? "pool" : "pools"} here with \`template\` instead of \`external\``,
  );
}

function checkPool(p: string, pool: Rec, templates: Rec, templateNames: string[], add: Add): PoolInfo {
  const owner = `pool \`${p}\``;
  const templateName = str(own(pool, "template"));
  const template =
    templateName !== undefined && isRec(own(templates, templateName))
      ? (own(templates, templateName) as Rec)
      : undefined;
  if (templateName !== undefined && template === undefined) {
    add(
      ["pools", p, "template"],
      `${owner} uses template \`${templateName}\`, which is not defined: ${suggestion(templateName, templateNames, "template")}`,
    );
  }
  const driver = template ? str(own(template, "driver")) : undefined;
  const devices = own(pool, "devices");
  const size = num(own(pool, "size"));
  const min = num(own(pool, "min"));
  const max = num(own(pool, "max"));
  const standby = num(own(pool, "standby"));
  const physical = driver === "physical";

  if (physical) {
    if (list(devices).length === 0) {
      add(
        ["pools", p],
        `${owner} uses the physical template \`${templateName}\` but declares no \`devices\`; physical appliances are declared, not created: list them under \`devices\` (\`- name: ...\`)`,
      );
    }
    const sizing = (["size", "min", "max", "standby"] as const).filter((k) => own(pool, k) !== undefined);
    if (sizing.length > 0) {
      add(
        ["pools", p, sizing[0]],
        `${owner} uses the physical template \`${templateName}\`, whose device count is its \`devices\` list, but sets ${codeList(sizing)}: remove ${sizing.length > 1 ? "them" : "it"}`,
      );
    }
  } else {
    if (driver !== undefined && devices !== undefined) {
      add(
        ["pools", p, "devices"],
        `${owner} uses the \`${driver}\` template \`${templateName}\`, whose devices are created, but declares \`devices\`: remove \`devices\` and size the pool with \`size\` or \`min\`/\`max\`, or use a \`physical\` template`,
      );
    }
    if (size !== undefined) {
      const extra = (["min", "max", "standby"] as const).filter((k) => own(pool, k) !== undefined);
      if (extra.length > 0) {
        const values = extra.map((k) => `\`${k}: ${String(own(pool, k))}\``).join(", ");
        add(
          ["pools", p, "size"],
          `${owner} has a fixed \`size: ${size}\` and also ${values}: remove ${extra.length > 1 ? "them" : "it"}, or remove \`size\` to size the pool from its allocations`,
        );
      }
    } else if (min !== undefined && min > (max ?? DEFAULT_MAX)) {
      const maxText = max !== undefined ? `\`max: ${max}\`` : `the default \`max\` of ${DEFAULT_MAX}`;
      add(
        ["pools", p, "min"],
        `${owner} has \`min: ${min}\` above ${maxText}: lower \`min\` or raise \`max\` to at least ${min}`,
      );
    } else if (standby !== undefined && max !== undefined && standby > max) {
      add(
        ["pools", p, "standby"],
        `${owner} keeps \`standby: ${standby}\` idle devices but has \`max: ${max}\`: lower \`standby\` or raise \`max\` to at least ${standby}`,
      );
    }
  }

  const created = driver !== undefined && !physical;
  const declared: string[] = [];
  const zones = new Set(strings(own(pool, "zones")));
  const templateClasses = Object.keys(rec(template ? own(template, "capacity") : undefined));
  const classes = new Set(templateClasses);
  list(devices).forEach((d, i) => {
    const dev = rec(d);
    const name = str(own(dev, "name"));
    if (name !== undefined) declared.push(name);
    const zone = str(own(dev, "zone"));
    if (zone !== undefined) zones.add(zone);
    const cap = rec(own(dev, "capacity"));
    for (const rc of Object.keys(cap)) {
      classes.add(rc);
      const near = templateClasses.includes(rc) ? undefined : closest(rc, templateClasses);
      if (near !== undefined) {
        add(
          ["pools", p, "devices", i, "capacity", rc],
          `device \`${name ?? i}\` of ${owner} overrides \`${rc}\`, which template \`${templateName ?? ""}\` does not have in \`capacity\`: did you mean \`${near}\`?`,
        );
      }
    }
    checkInventory(`device \`${name ?? i}\` of ${owner}`, ["pools", p, "devices", i, "capacity"], cap, add);
  });
  const serviceTypes =
    template !== undefined && Array.isArray(own(template, "serviceTypes"))
      ? strings(own(template, "serviceTypes"))
      : undefined;
  return {
    name: p,
    spec: pool,
    templateName,
    template,
    driver,
    created,
    limit: size ?? max ?? DEFAULT_MAX,
    declared,
    zones,
    classes,
    serviceTypes,
    external: undefined,
  };
}

/** `fw-12` -> `["fw", 12]` when it has the shape of a created device name. */
function splitCreatedName(name: string): [string, number] | undefined {
  const m = /^(.+)-(0|[1-9]\d{0,8})$/.exec(name);
  return m ? [m[1], Number(m[2])] : undefined;
}

/** Checks declared names against each other and against created `<pool>-<n>` names; returns device -> pool. */
function checkDeviceNames(infos: Map<string, PoolInfo>, add: Add): Map<string, PoolInfo> {
  const owner = new Map<string, PoolInfo>();
  const firstAt = new Map<string, string>();
  for (const info of infos.values()) {
    list(own(info.spec, "devices")).forEach((d, i) => {
      const name = str(own(rec(d), "name"));
      if (name === undefined) return;
      const here = formatPath(["pools", info.name, "devices", i]);
      const seen = firstAt.get(name);
      if (seen !== undefined) {
        add(
          ["pools", info.name, "devices", i, "name"],
          `device \`${name}\` is declared twice, at \`${seen}\` and \`${here}\`; device names are unique across the fleet: rename one`,
        );
        return;
      }
      firstAt.set(name, here);
      const split = splitCreatedName(name);
      const other = split ? infos.get(split[0]) : undefined;
      if (split && other && other.created && split[1] < other.limit) {
        const by =
          own(other.spec, "size") !== undefined
            ? `\`size: ${other.limit}\``
            : own(other.spec, "max") !== undefined
              ? `\`max: ${other.limit}\``
              : `the default \`max\` of ${other.limit}`;
        add(
          ["pools", info.name, "devices", i, "name"],
          `device \`${name}\` of pool \`${info.name}\` has the name of device ${split[1]} of pool \`${other.name}\`, which creates \`${other.name}-0\`..\`${other.name}-${other.limit - 1}\` (${by}); device names are unique across the fleet: rename the device`,
        );
        return;
      }
      owner.set(name, info);
    });
  }
  return owner;
}

function checkAllocation(
  a: string,
  alloc: Rec,
  infos: Map<string, PoolInfo>,
  poolNames: string[],
  deviceOwner: Map<string, PoolInfo>,
  cache: Map<string, PoolInfo[]>,
  add: Add,
): void {
  const owner = `allocation \`${a}\``;
  const listed = Array.isArray(own(alloc, "pools"));
  const known: PoolInfo[] = [];
  list(own(alloc, "pools")).forEach((p, i) => {
    if (typeof p !== "string") return;
    const info = infos.get(p);
    if (info) known.push(info);
    else
      add(
        ["allocations", a, "pools", i],
        `${owner} lists pool \`${p}\`, which is not defined: ${suggestion(p, poolNames, "pool")}`,
      );
  });
  const base = listed ? known : [...infos.values()];
  const withTemplate = base.filter((i) => i.template !== undefined);
  // External pools host any service type in any zone with any class as far as this fleet knows:
  // Placement decides, so the checks below only speak when no external pool is eligible.
  const external = base.some((i) => i.external !== undefined);
  const scope = listed ? `its pools (${codeList(known.map((i) => i.name))})` : "any pool";

  // serviceType: eligible pools are those whose template lists it (or lists none).
  const serviceType = str(own(alloc, "serviceType"));
  let eligible = withTemplate;
  if (serviceType !== undefined && withTemplate.length > 0) {
    const key = `${listed ? known.map((i) => i.name).join(",") : "*"}|${serviceType}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = withTemplate.filter((i) => i.serviceTypes === undefined || i.serviceTypes.includes(serviceType));
      cache.set(key, hit);
    }
    if (hit.length === 0 && external) {
      eligible = [];
    } else if (hit.length === 0) {
      const offered = [...new Set(withTemplate.flatMap((i) => i.serviceTypes ?? []))].sort();
      add(
        ["allocations", a, "serviceType"],
        `${owner} has \`serviceType: ${serviceType}\`, which no template of ${scope} lists in \`serviceTypes\` (they list ${codeList(offered)}): add \`${serviceType}\` to a template's \`serviceTypes\`${listed ? " or change `pools`" : ""}`,
      );
    } else {
      eligible = hit;
    }
  }

  // zone: must be one of the eligible pools' zones (declared device zones count).
  const zone = str(own(alloc, "zone"));
  if (zone !== undefined && !external && eligible.length > 0 && !eligible.some((i) => i.zones.has(zone))) {
    const zones = [...new Set(eligible.flatMap((i) => [...i.zones]))].sort();
    add(
      ["allocations", a, "zone"],
      zones.length === 0
        ? `${owner} wants \`zone: ${zone}\`, but none of its eligible pools (${codeList(eligible.map((i) => i.name))}) has zones: add \`zones: [${zone}]\` to a pool or remove \`zone\``
        : `${owner} wants \`zone: ${zone}\`, but its eligible pools only have zones ${codeList(zones)}: use one of them or add \`${zone}\` to a pool's \`zones\``,
    );
  }

  // demand: every class must exist on some eligible template (or declared device override).
  if (eligible.length > 0 && !external) {
    const demand = rec(own(alloc, "demand"));
    for (const rc of Object.keys(demand)) {
      if (eligible.some((i) => i.classes.has(rc))) continue;
      const have = [...new Set(eligible.flatMap((i) => [...i.classes]))].sort();
      const near = closest(rc, have);
      add(
        ["allocations", a, "demand", rc],
        `${owner} demands ${String(demand[rc])} \`${rc}\`, which no template of its eligible pools (${codeList(eligible.map((i) => i.name))}) has in \`capacity\` (they have ${codeList(have)}): ${near !== undefined ? `did you mean \`${near}\`? Otherwise ` : ""}add \`${rc}\` to a template's \`capacity\` or drop it from \`demand\``,
      );
    }
  }

  // requireAny: every set must name at least one trait.
  list(own(alloc, "requireAny")).forEach((set, i) => {
    if (Array.isArray(set) && set.length === 0) {
      add(
        ["allocations", a, "requireAny", i],
        `${owner} has an empty trait set at \`requireAny[${i}]\`, which no device can meet: list at least one trait in it or remove it`,
      );
    }
  });

  // device pin: must exist and belong to one of the allocation's pools.
  const device = str(own(alloc, "device"));
  if (device !== undefined)
    checkPin(owner, a, device, listed ? known : undefined, eligible, infos, deviceOwner, add);
}

function checkPin(
  owner: string,
  a: string,
  device: string,
  listedPools: PoolInfo[] | undefined,
  eligible: PoolInfo[],
  infos: Map<string, PoolInfo>,
  deviceOwner: Map<string, PoolInfo>,
  add: Add,
): void {
  const path = ["allocations", a, "device"];
  const split = splitCreatedName(device);
  const externalOwner = split ? infos.get(split[0]) : undefined;
  const onlyExternal =
    listedPools !== undefined && listedPools.length > 0 && listedPools.every((i) => i.external);
  if (externalOwner?.external !== undefined || onlyExternal) {
    const where =
      externalOwner?.external !== undefined
        ? `pool \`${externalOwner.name}\` is external (owned by fleet \`${externalOwner.external.fleet}\`)`
        : listedPools!.length === 1
          ? `its pool \`${listedPools![0].name}\` is external (owned by fleet \`${listedPools![0].external!.fleet}\`)`
          : `its pools ${codeList(listedPools!.map((i) => i.name))} are all external`;
    add(
      path,
      `${owner} is pinned to device \`${device}\`, but ${where}, and Placement chooses the device in another fleet's pool: remove \`device\`, or pin to a device of a pool this fleet owns`,
    );
    return;
  }
  let pool = deviceOwner.get(device);
  if (!pool) {
    const candidate = split ? infos.get(split[0]) : undefined;
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
    const names = [...deviceOwner.keys()];
    const near = closest(device, names);
    add(
      path,
      `${owner} is pinned to device \`${device}\`, which no pool has (declared devices are named in \`devices\`, created ones \`<pool>-<n>\`): ${near !== undefined ? `did you mean \`${near}\`?` : "pin to an existing device or remove `device`"}`,
    );
    return;
  }
  if (listedPools !== undefined && !listedPools.includes(pool)) {
    add(
      path,
      `${owner} is pinned to device \`${device}\` of pool \`${pool.name}\`, which is not among its \`pools\` (${codeList(listedPools.map((i) => i.name))}): add \`${pool.name}\` to \`pools\` or pin to a device of ${listedPools.length === 1 ? "that pool" : "those pools"}`,
    );
  } else if (listedPools === undefined && eligible.length > 0 && !eligible.includes(pool)) {
    add(
      path,
      `${owner} is pinned to device \`${device}\` of pool \`${pool.name}\`, whose template \`${pool.templateName}\` does not list its \`serviceType\` (eligible pools: ${codeList(eligible.map((i) => i.name))}): pin to a device of an eligible pool or add the service type to \`templates.${pool.templateName}.serviceTypes\``,
    );
  }
}
