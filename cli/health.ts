/**
 * Health for `--previous` and `--health`: what a stack's Ledger recorded in its `health` output
 * (Pulumi secrets unwrapped, whole or per entry), and a `--health` file that overrides it device by
 * device. `previous.ts` reads the stack and combines the two.
 */
import { codeList as limitedList, suggestion } from "../core/suggest";
import type { HealthMap } from "../core/types";

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Pulumi's marker of a secret value in state (`sig.Key` / `sig.Secret`). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A value Pulumi keeps secret in state. */
export function isSecret(v: unknown): v is Rec {
  return isRec(v) && v[SECRET_SIG_KEY] === SECRET_SIG;
}

/**
 * A secret's value: the parsed `plaintext` (whose own secrets are unwrapped too), `sealed` for
 * `ciphertext` only, `undefined` when the plaintext is not JSON.
 */
function unseal(v: unknown): { value: unknown } | "sealed" | undefined {
  if (!isSecret(v)) return { value: v };
  if (typeof v.plaintext !== "string") return "sealed";
  try {
    return unseal(JSON.parse(v.plaintext));
  } catch {
    return undefined;
  }
}

/**
 * The `health` output of a stack's Ledger: device -> `false` when unhealthy (`true` when healthy),
 * each entry or the whole map possibly a secret. An entry `{ healthy: <boolean> }` is read as that
 * boolean. Absent (state written before servicevm recorded health): every device healthy, as the
 * Ledger's own `read` fills it in.
 */
export function recordedHealth(
  value: unknown,
  label: string,
): { ok: true; health: HealthMap; sealed: string[] } | { ok: false; message: string } {
  if (value === undefined || value === null) return { ok: true, health: {}, sealed: [] };
  const whole = unseal(value);
  if (whole === "sealed") {
    return {
      ok: false,
      message: `${label} records its \`health\` as an encrypted secret: export with \`pulumi stack export --show-secrets\``,
    };
  }
  if (whole === undefined || !isRec(whole.value)) {
    return {
      ok: false,
      message: `${label} records a \`health\` output that is not a mapping of device to \`true\` or \`false\`: export the stack again with a current servicevm, unmodified`,
    };
  }
  const health: HealthMap = {};
  const sealed: string[] = [];
  const bad: string[] = [];
  for (const device of Object.keys(whole.value).sort()) {
    const entry = unseal(whole.value[device]);
    if (entry === "sealed") sealed.push(device);
    else if (entry !== undefined && typeof entry.value === "boolean") health[device] = entry.value;
    else if (entry !== undefined && isRec(entry.value) && typeof entry.value.healthy === "boolean")
      health[device] = entry.value.healthy;
    else bad.push(device);
  }
  if (bad.length > 0) {
    return {
      ok: false,
      message: `${label} records the health of ${limitedList(bad, 3)} as neither \`true\` nor \`false\`: export the stack again with a current servicevm, unmodified`,
    };
  }
  return { ok: true, health, sealed };
}

/** What a `--health` file holds, for the messages that say how to fix one. */
const HEALTH_FORMAT =
  'a JSON object of device names to `false` (unhealthy) or `true` (healthy), e.g. `{ "fw-1": false }`';

/** What a JSON value is, for a message. */
function jsonKind(v: unknown): string {
  if (v === null) return "`null`";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/**
 * Parses a `--health` file: device name -> `false` (unhealthy) or `true` (healthy). Every value
 * that is not a boolean is named (the first three, then how many more). Whether each device exists
 * is the plan's question ({@link unknownHealthDevices}).
 */
export function readHealth(
  text: string,
  name: string,
): { ok: true; health: HealthMap } | { ok: false; message: string } {
  const flag = `\`${name}\` (--health)`;
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    // V8 quotes the start of the text, line breaks included: keep the message on one line.
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\r?\n/g, "\\n");
    return { ok: false, message: `${flag} is not JSON (${reason}): give ${HEALTH_FORMAT}` };
  }
  if (!isRec(doc))
    return { ok: false, message: `${flag} is ${jsonKind(doc)}, not an object: give ${HEALTH_FORMAT}` };
  const health: HealthMap = {};
  const bad: string[] = [];
  for (const device of Object.keys(doc).sort()) {
    const v = doc[device];
    if (typeof v === "boolean") health[device] = v;
    else bad.push(`\`${device}\` is ${JSON.stringify(v)}`);
  }
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).join(", ") + (bad.length > 3 ? ` and ${bad.length - 3} more` : "");
    return {
      ok: false,
      message: `${flag}: ${shown}, not \`true\` or \`false\`: give each device \`false\` (unhealthy) or \`true\` (healthy), e.g. \`{ "fw-1": false }\``,
    };
  }
  return { ok: true, health };
}

/**
 * The devices a `--health` file names that neither the plan nor the previous ledger has (a typo,
 * or a device of another fleet): their health changes nothing. One warning each, with the closest
 * device the plan has.
 */
export function unknownHealthDevices(override: HealthMap, name: string, known: Iterable<string>): string[] {
  const devices = [...new Set(known)].sort();
  const have = new Set(devices);
  return Object.keys(override)
    .sort()
    .filter((d) => !have.has(d))
    .map(
      (d) =>
        `\`${name}\` (--health) names \`${d}\`, which is no device of the plan or the previous ledger, so its health changes nothing: ${suggestion(d, devices, "device")}`,
    );
}
