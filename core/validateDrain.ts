/**
 * Semantic checks of `drain`: every entry names a device this fleet owns (a created `<pool>-<n>`
 * or a declared appliance), once; `remove` only on created devices. Whether a created device
 * exists is the plan's question (it needs the previous ledger): one numbered past the pool's
 * `max` exists when `max` was lowered, or when a drained device made the pool take a new number.
 */
import { codeList, suggestion } from "./suggest";
import { isRec, list, own, str, type Add } from "./validateInput";
import { type PoolInfo, splitCreatedName } from "./validatePools";

/** The pool a device name belongs to, and whether it is a created device of it. */
function ownerOf(
  name: string,
  infos: Map<string, PoolInfo>,
): { pool: PoolInfo; created: boolean } | undefined {
  for (const info of infos.values()) if (info.declared.includes(name)) return { pool: info, created: false };
  const split = splitCreatedName(name);
  const pool = split === undefined ? undefined : infos.get(split[0]);
  if (pool !== undefined && (pool.created || pool.external !== undefined)) return { pool, created: true };
  return undefined;
}

export function checkDrain(input: unknown, infos: Map<string, PoolInfo>, add: Add): void {
  const firstAt = new Map<string, number>();
  list(input).forEach((entry, i) => {
    const name = isRec(entry) ? str(own(entry, "device")) : str(entry);
    if (name === undefined) return; // the schema names a wrong type
    const where = isRec(entry) ? ["drain", i, "device"] : ["drain", i];
    const first = firstAt.get(name);
    if (first !== undefined) {
      add(where, `device \`${name}\` is listed twice in \`drain\` (first at \`drain[${first}]\`): keep one`);
      return;
    }
    firstAt.set(name, i);
    const owner = ownerOf(name, infos);
    if (owner === undefined) {
      const created = [...infos.values()].filter((p) => p.created).map((p) => `${p.name}-0`);
      const declared = [...infos.values()].flatMap((p) => p.declared);
      add(
        where,
        `\`${name}\` is no device of this fleet: \`drain\` names a created device (\`<pool>-<n>\`${created.length > 0 ? `, e.g. ${codeList(created, 3)}` : ""}) or a declared one; ${suggestion(name, declared, "declared device")}`,
      );
      return;
    }
    const { pool, created } = owner;
    if (pool.external !== undefined) {
      add(
        where,
        `device \`${name}\` belongs to pool \`${pool.name}\`, which fleet \`${pool.external.fleet}\` owns: drain it in that fleet's spec`,
      );
      return;
    }
    if (!created && isRec(entry) && own(entry, "remove") === true) {
      add(
        ["drain", i, "remove"],
        `\`${name}\` is a declared appliance of pool \`${pool.name}\`: it leaves the fleet when it is deleted from \`pools.${pool.name}.devices\`; \`remove\` is for created devices: drop \`remove\``,
      );
    }
  });
}
