/**
 * Semantic checks of templates: the driver block matches `driver`, inventories are consistent,
 * and a shared template's context range is not empty (and within the VLAN ids for VLANs).
 */
import { PLACEMENT_MAX_INT } from "./inventory";
import type { PathSegment } from "./paths";
import { isRec, num, own, rec, str, type Add, type Rec } from "./validateInput";

/** IEEE 802.1Q VLAN ids. */
const VLAN_FIRST = 1;
const VLAN_LAST = 4094;

const DRIVER_BLOCKS = ["openstack", "docker", "physical"] as const;

/** What to add when the block named by `driver` is missing; `physical` needs none. */
const DRIVER_BLOCK_HINT: Record<string, string> = {
  openstack: "`openstack: { image: { name: ... }, flavor: { name: ... }, networks: [...] }`",
  docker: '`docker: { image: "..." }`',
};

/** Checks template `t`: its driver block, its capacity and its tenancy contexts. */
export function checkTemplate(t: string, tpl: Rec, add: Add): void {
  const owner = `template \`${t}\``;
  checkDriverBlocks(t, owner, tpl, add);
  checkInventory(owner, ["templates", t, "capacity"], rec(own(tpl, "capacity")), add);
  checkContexts(t, owner, tpl, add);
}

/** Only the block named by `driver` may be present, and it must be, except for `physical`. */
function checkDriverBlocks(t: string, owner: string, tpl: Rec, add: Add): void {
  const driver = str(own(tpl, "driver"));
  if (driver === undefined || !(DRIVER_BLOCKS as readonly string[]).includes(driver)) return;
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

/** A shared template's `contexts` must hold at least one context, and VLAN ids must be VLAN ids. */
function checkContexts(t: string, owner: string, tpl: Rec, add: Add): void {
  const tenancy = own(tpl, "tenancy");
  if (!isRec(tenancy) || own(tenancy, "mode") !== "shared") return;
  const contexts = rec(own(tenancy, "contexts"));
  const first = num(own(contexts, "first"));
  const last = num(own(contexts, "last"));
  if (first === undefined || last === undefined) return;
  const path = ["templates", t, "tenancy", "contexts"];
  if (first > last) {
    add(
      path,
      `${owner} has an empty context range: \`first: ${first}\` is above \`last: ${last}\`, so no tenant can be placed: set \`last\` to at least ${first}`,
    );
  } else if (own(tenancy, "isolation") === "vlan" && (first < VLAN_FIRST || last > VLAN_LAST)) {
    add(
      path,
      `${owner} has VLAN contexts ${first}..${last}, outside the VLAN ids ${VLAN_FIRST}..${VLAN_LAST}: keep \`first\` and \`last\` within ${VLAN_FIRST}..${VLAN_LAST}`,
    );
  }
}

/**
 * Checks one inventory mapping (a template's `capacity` or a declared device's override):
 * `reserved` at most `total`, `minUnit` at most `maxUnit`. `owner` names it in the messages.
 */
export function checkInventory(owner: string, segments: PathSegment[], capacity: Rec, add: Add): void {
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
