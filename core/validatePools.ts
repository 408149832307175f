/**
 * Semantic checks of pools: the template exists, sizing fits the template's driver, declared
 * devices' overrides name known classes, external pools stand alone and need Placement, and
 * device names are unique across the fleet. Each pool is summarised as a {@link PoolInfo} that
 * the allocation checks read.
 */
import { POOL_DEFAULTS } from "./model";
import { formatPath } from "./paths";
import { closest, codeList, suggestion } from "./suggest";
import { checkInventory } from "./validateTemplates";
import { isRec, list, num, own, rec, str, strings, type Add, type Rec } from "./validateInput";

/** What the allocation checks need to know of a pool. */
export interface PoolInfo {
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

/**
 * A pool another fleet owns: `external` and nothing else, since its devices, template and size
 * are that fleet's business.
 */
export function checkExternalPool(p: string, pool: Rec, add: Add): PoolInfo {
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
export function checkBackend(input: Rec, infos: Map<string, PoolInfo>, add: Add): void {
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

/** Checks pool `p` this fleet owns: its template, its sizing and its declared devices. */
export function checkPool(p: string, pool: Rec, templates: Rec, templateNames: string[], add: Add): PoolInfo {
  const owner = `pool \`${p}\``;
  const templateName = str(own(pool, "template"));
  const template =
    templateName !== undefined && isRec(own(templates, templateName))
      ? (own(templates, templateName) as Rec)
      : undefined;
  // A template that is not a mapping is the schema's error; one that is missing is this one.
  if (templateName !== undefined && own(templates, templateName) === undefined) {
    add(
      ["pools", p, "template"],
      `${owner} uses template \`${templateName}\`, which is not defined: ${suggestion(templateName, templateNames, "template")}`,
    );
  }
  const driver = template ? str(own(template, "driver")) : undefined;
  const physical = driver === "physical";
  if (physical) checkDeclaredSizing(p, owner, pool, templateName, add);
  else checkCreatedSizing(p, owner, pool, templateName, driver, add);

  const zones = new Set(strings(own(pool, "zones")));
  const templateClasses = Object.keys(rec(template ? own(template, "capacity") : undefined));
  const classes = new Set(templateClasses);
  const declared = checkDeclaredDevices(
    p,
    owner,
    pool,
    templateName,
    templateClasses,
    { zones, classes },
    add,
  );
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
    created: driver !== undefined && !physical,
    limit: num(own(pool, "size")) ?? num(own(pool, "max")) ?? POOL_DEFAULTS.max,
    declared,
    zones,
    classes,
    serviceTypes,
    external: undefined,
  };
}

/** A pool of a physical template is its `devices` list: it must have one, and no sizing fields. */
function checkDeclaredSizing(
  p: string,
  owner: string,
  pool: Rec,
  templateName: string | undefined,
  add: Add,
): void {
  if (list(own(pool, "devices")).length === 0) {
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
}

/**
 * A pool of any other template creates its devices: no `devices` list, and either a fixed `size`
 * alone or `min` <= `max` (default {@link POOL_DEFAULTS}.max) and `standby` <= `max`.
 */
function checkCreatedSizing(
  p: string,
  owner: string,
  pool: Rec,
  templateName: string | undefined,
  driver: string | undefined,
  add: Add,
): void {
  const size = num(own(pool, "size"));
  const min = num(own(pool, "min"));
  const max = num(own(pool, "max"));
  const standby = num(own(pool, "standby"));
  if (driver !== undefined && own(pool, "devices") !== undefined) {
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
  } else if (min !== undefined && min > (max ?? POOL_DEFAULTS.max)) {
    const maxText = max !== undefined ? `\`max: ${max}\`` : `the default \`max\` of ${POOL_DEFAULTS.max}`;
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

/**
 * Reads the declared devices of a pool: returns their names, adds their zones and resource classes
 * to `into`, and checks their capacity overrides (a class the template lacks is likely a typo).
 */
function checkDeclaredDevices(
  p: string,
  owner: string,
  pool: Rec,
  templateName: string | undefined,
  templateClasses: string[],
  into: { zones: Set<string>; classes: Set<string> },
  add: Add,
): string[] {
  const declared: string[] = [];
  list(own(pool, "devices")).forEach((d, i) => {
    const dev = rec(d);
    const name = str(own(dev, "name"));
    if (name !== undefined) declared.push(name);
    const zone = str(own(dev, "zone"));
    if (zone !== undefined) into.zones.add(zone);
    const cap = rec(own(dev, "capacity"));
    for (const rc of Object.keys(cap)) {
      into.classes.add(rc);
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
  return declared;
}

/**
 * `fw-12` -> `["fw", 12]` when it has the shape of a created device name (`<pool>-<n>`, as
 * `deviceName` in `model.ts` makes them). The index has no leading zero and at most 9 digits, so
 * `fw-012` and absurdly long numbers stay ordinary declared names, and the pool part is greedy, so
 * `edge-fw-3` splits at its last `-` as a pool named `edge-fw` would.
 */
export function splitCreatedName(name: string): [string, number] | undefined {
  const m = /^(.+)-(0|[1-9]\d{0,8})$/.exec(name);
  return m ? [m[1], Number(m[2])] : undefined;
}

/** Checks declared names against each other and against created `<pool>-<n>` names; returns device -> pool. */
export function checkDeviceNames(infos: Map<string, PoolInfo>, add: Add): Map<string, PoolInfo> {
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
        add(
          ["pools", info.name, "devices", i, "name"],
          `device \`${name}\` of pool \`${info.name}\` has the name of device ${split[1]} of pool \`${other.name}\`, which creates \`${other.name}-0\`..\`${other.name}-${other.limit - 1}\` (${limitSource(other)}); device names are unique across the fleet: rename the device`,
        );
        return;
      }
      owner.set(name, info);
    });
  }
  return owner;
}

/** What sets a created pool's device count, as a message says it. */
function limitSource(pool: PoolInfo): string {
  if (own(pool.spec, "size") !== undefined) return `\`size: ${pool.limit}\``;
  if (own(pool.spec, "max") !== undefined) return `\`max: ${pool.limit}\``;
  return `the default \`max\` of ${pool.limit}`;
}
