/**
 * The name rule of templates, pools, allocations, declared devices and fleets, in one place
 * (`schema/fleet.schema.json` repeats it as `$defs/name.pattern`, and a test holds the two equal).
 *
 * A lower-case letter, then up to 62 lower-case letters, digits or `-`: at most 63 characters, so a
 * name fits a DNS label and the resource names of every cloud servicevm drives. A created device is
 * `<pool>-<n>` with `n` all digits, so its index is the text after the last `-`, and two pools never
 * name the same device: `p-n` = `q-m` with digit-only `n`, `m` forces `p` = `q` (see `deviceName`).
 */
export const NAME_PATTERN = "^[a-z][a-z0-9-]{0,62}$";

/** {@link NAME_PATTERN} as a regular expression. */
export const NAME = new RegExp(NAME_PATTERN);

/** True for a valid servicevm name. */
export function isName(value: unknown): value is string {
  return typeof value === "string" && NAME.test(value);
}
