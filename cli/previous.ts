/**
 * The inputs `plan`, `capacity` and `explain` take besides the spec: the previous ledger
 * (`--previous`) and the devices' health (recorded in a stack's Ledger, overridden by `--health`).
 *
 * `--previous` is a previous `servicevm plan --format json` output (its `.ledger`), a bare ledger,
 * or a `pulumi stack export` document or checkpoint, read from the outputs of its servicevm Ledger
 * of either kind: the nodejs dynamic resource (`pulumi-nodejs:dynamic/servicevm:Ledger`) or the
 * provider plugin's custom resource (`servicevm:index:Ledger`). Both record the same outputs
 * (`provider/ledgerImpl.ts`, `LedgerState`): `ledger`, `pools`, `health`, `capacity` and, with
 * Placement, `placement`; only `ledger` and `health` are read here. `health` is device -> boolean,
 * the health the Ledger planned with (its appliances' probes); the plugin gives back secret each
 * entry that came in secret, and the engine may keep the whole output secret, so both are unwrapped.
 * A plan output and a bare ledger record no health.
 *
 * In a stack export a secret is `{ <sig key>: <secret sig>, ciphertext }`, or with
 * `pulumi stack export --show-secrets` `{ <sig key>: <secret sig>, plaintext }`, where `plaintext`
 * is the JSON text of the value (the engine's `SerializePropertyValue`).
 */
import type { HealthMap, Ledger, LedgerV1 } from "../core/types";
import { codeList as limitedList } from "../core/suggest";
import { decodeUtf8 } from "../schema/text";
import type { CliContext } from "./context";
import { isSecret, readHealth, recordedHealth } from "./health";

export { readHealth, unknownHealthDevices } from "./health";
import { DYNAMIC_TOKENS, PROVIDER_TOKENS } from "../tokens";

/** Type token of the Ledger dynamic resource (DESIGN §6). */
export const LEDGER_TYPE = DYNAMIC_TOKENS.ledger;

/** Type tokens of the Ledgers `--previous` reads in a stack export: the dynamic one and the plugin's. */
export const LEDGER_TYPES: readonly string[] = Object.freeze([DYNAMIC_TOKENS.ledger, PROVIDER_TOKENS.ledger]);

/**
 * The ledger as read: version 2, or a servicevm 0.1 ledger (version 1), which the planner upgrades;
 * the health the stack's Ledger recorded (`{}` for a plan output or a bare ledger), and the devices
 * whose recorded health is an encrypted secret (`sealed`, sorted), which `--health` must give.
 */
export type PreviousResult =
  | { ok: true; ledger: Ledger | LedgerV1; from: string; health: HealthMap; sealed: string[] }
  | { ok: false; message: string };

/** A ledger checked for its shape, before any health is read. */
type LedgerRead = { ok: true; ledger: Ledger | LedgerV1; from: string } | { ok: false; message: string };

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The resource name of a URN: what follows the last `::`. */
export function urnName(urn: unknown): string {
  if (typeof urn !== "string") return "";
  const i = urn.lastIndexOf("::");
  return i < 0 ? urn : urn.slice(i + 2);
}

function codeList(names: string[]): string {
  return names.map((n) => `\`${n}\``).join(", ");
}

/** Parses a `--previous` document; `name` is how the errors call it. */
export function readPrevious(text: string, name: string, fleet?: string): PreviousResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    return {
      ok: false,
      message: `\`${name}\` is not JSON (${reason}): pass the output of \`servicevm plan --format json\` or of \`pulumi stack export\``,
    };
  }
  if (!isRec(doc)) {
    return {
      ok: false,
      message: `\`${name}\` is JSON but not an object: pass the output of \`servicevm plan --format json\` or of \`pulumi stack export\``,
    };
  }
  if ("ledger" in doc && ("placements" in doc || "ok" in doc))
    return withoutHealth(checked(doc.ledger, `\`${name}\` (a servicevm plan)`, "a plan output"));
  if (typeof doc.version === "number" && "pools" in doc && "placements" in doc)
    return withoutHealth(checked(doc, `\`${name}\` (a ledger)`, "a ledger"));
  if ("deployment" in doc || "checkpoint" in doc) return fromStackExport(doc, name, fleet);
  if ("steps" in doc && "changeSummary" in doc) {
    return {
      ok: false,
      message: `\`${name}\` is a \`pulumi preview --json\` output, which holds no state: pass \`pulumi stack export\` of the stack, or a \`servicevm plan --format json\` output`,
    };
  }
  return {
    ok: false,
    message: `\`${name}\` is neither a \`servicevm plan --format json\` output nor a \`pulumi stack export\` document (its top-level keys are ${codeList(Object.keys(doc).slice(0, 8)) || "none"}): pass one of those`,
  };
}

/** A ledger read from a document that records no health. */
function withoutHealth(read: LedgerRead): PreviousResult {
  return read.ok ? { ...read, health: {}, sealed: [] } : read;
}

/** Both Ledger types, for the message that a stack export has no Ledger. */
const LEDGER_TYPES_TEXT = LEDGER_TYPES.map((t) => `\`${t}\``).join(" or ");

function fromStackExport(doc: Rec, name: string, fleet: string | undefined): PreviousResult {
  const deployment = isRec(doc.deployment)
    ? doc.deployment
    : isRec(doc.checkpoint) && isRec(doc.checkpoint.latest)
      ? doc.checkpoint.latest
      : {};
  const resources = Array.isArray(deployment.resources) ? deployment.resources.filter(isRec) : [];
  const ledgers = resources.filter(
    (r) => typeof r.type === "string" && LEDGER_TYPES.includes(r.type) && r.delete !== true,
  );
  const kind = "deployment" in doc ? "`pulumi stack export` document" : "Pulumi checkpoint";
  if (ledgers.length === 0) {
    return {
      ok: false,
      message: `\`${name}\` is a ${kind} holding ${resources.length} resource${resources.length === 1 ? "" : "s"} and no servicevm Ledger (type ${LEDGER_TYPES_TEXT}): export the stack whose program creates the servicevm \`Fleet\`, or pass a \`servicevm plan --format json\` output`,
    };
  }
  // A Fleet `edge` names its Ledger `edge-ledger` and is its parent: either name chooses it, and
  // so does the Ledger's URN (the only name that tells apart two Ledgers of one name and two types).
  const names = (r: Rec): string[] => {
    const own = urnName(r.urn);
    const parent =
      typeof r.parent === "string" && r.parent.includes("servicevm:index:Fleet::") ? urnName(r.parent) : "";
    return [
      own,
      own.endsWith("-ledger") ? own.slice(0, -"-ledger".length) : "",
      parent,
      typeof r.urn === "string" ? r.urn : "",
    ].filter((n) => n !== "");
  };
  // Each Ledger by its resource name, or by its URN where two share a name.
  const shared = (r: Rec): boolean => ledgers.filter((o) => urnName(o.urn) === urnName(r.urn)).length > 1;
  const shown = (rs: Rec[]): string[] =>
    [...new Set(rs.map((r) => (shared(r) ? String(r.urn) : urnName(r.urn))))].sort();
  const all = shown(ledgers);
  let chosen: Rec;
  if (fleet !== undefined) {
    const hits = ledgers.filter((r) => names(r).includes(fleet));
    if (hits.length !== 1) {
      const ownNames = new Set(hits.map((r) => urnName(r.urn)));
      return {
        ok: false,
        message:
          hits.length === 0
            ? `\`${name}\` has no servicevm Ledger named \`${fleet}\`; its Ledger resources are ${codeList(all)}: pass one of them to \`--fleet\``
            : ownNames.size === hits.length
              ? `\`${name}\` has ${hits.length} servicevm Ledgers matching \`${fleet}\`: pass the Ledger's own resource name to \`--fleet\` (one of ${codeList(all)})`
              : `\`${name}\` has ${hits.length} servicevm Ledgers matching \`${fleet}\`: pass the Ledger's URN to \`--fleet\` (one of ${codeList(shown(hits))})`,
      };
    }
    chosen = hits[0]!;
  } else if (ledgers.length > 1) {
    return {
      ok: false,
      message: `\`${name}\` has ${ledgers.length} servicevm Ledger resources (${codeList(all)}): choose one with \`--fleet <name>\``,
    };
  } else {
    chosen = ledgers[0]!;
  }
  const label = `the Ledger \`${urnName(chosen.urn)}\` in \`${name}\``;
  const outputs = isRec(chosen.outputs) ? chosen.outputs : {};
  let ledger: unknown = outputs.ledger;
  if (ledger === undefined) {
    return {
      ok: false,
      message: `${label} has no \`ledger\` output (an interrupted update?): run \`pulumi refresh\` or \`pulumi up\` and export again`,
    };
  }
  if (isSecret(ledger)) {
    if (typeof ledger.plaintext !== "string") {
      return {
        ok: false,
        message: `${label} is an encrypted secret: export with \`pulumi stack export --show-secrets\``,
      };
    }
    ledger = ledger.plaintext;
  }
  if (typeof ledger === "string") {
    try {
      ledger = JSON.parse(ledger);
    } catch {
      return {
        ok: false,
        message: `${label} is a string that is not JSON: export the stack again with a current servicevm`,
      };
    }
  }
  const read = checked(ledger, label, "a stack export");
  if (!read.ok) return read;
  const health = recordedHealth(outputs.health, label);
  if (!health.ok) return health;
  return { ...read, health: health.health, sealed: health.sealed };
}

const isCount = (n: unknown): boolean => typeof n === "number" && Number.isInteger(n) && n >= 0;

/** A version 2 pool: `{ devices: { name: zone | null }, source: { field: digest } }`. */
function isPoolV2(pool: unknown): boolean {
  return (
    isRec(pool) &&
    isRec(pool.devices) &&
    Object.values(pool.devices).every((z) => z === null || typeof z === "string") &&
    isRec(pool.source) &&
    Object.values(pool.source).every((d) => typeof d === "string")
  );
}

function isPlacement(pl: unknown, version: unknown): boolean {
  return (
    isRec(pl) &&
    typeof pl.device === "string" &&
    typeof pl.tenant === "string" &&
    (pl.context === null || (typeof pl.context === "number" && Number.isInteger(pl.context))) &&
    (version !== 2 ||
      pl.demand === undefined ||
      (isRec(pl.demand) && Object.values(pl.demand).every((n) => typeof n === "number")))
  );
}

/**
 * Checks the shape of a ledger of either version (1: pool sizes; 2: each pool's devices and
 * sources, placements with their demand), naming the first fields that are wrong.
 */
function checked(value: unknown, label: string, kind: string): LedgerRead {
  const problems: string[] = [];
  if (!isRec(value)) {
    problems.push("it is not an object");
  } else {
    const version = value.version;
    if (version !== 1 && version !== 2)
      problems.push(`\`version\` is ${JSON.stringify(version) ?? "missing"}, not 1 or 2`);
    if (!isRec(value.pools)) problems.push("`pools` is not a mapping");
    else {
      for (const [p, pool] of Object.entries(value.pools)) {
        if (version === 1 && !isCount(pool)) problems.push(`\`pools.${p}\` is not a device count`);
        if (version === 2 && !isPoolV2(pool)) problems.push(`\`pools.${p}\` is not \`{ devices, source }\``);
      }
    }
    if (!isRec(value.placements)) problems.push("`placements` is not a mapping");
    else {
      for (const [a, pl] of Object.entries(value.placements)) {
        if (!isPlacement(pl, version)) {
          problems.push(
            version === 2
              ? `\`placements.${a}\` is not \`{ device, tenant, context, demand }\``
              : `\`placements.${a}\` is not \`{ device, tenant, context }\``,
          );
        }
      }
    }
  }
  if (problems.length > 0) {
    const shown =
      problems.slice(0, 3).join("; ") + (problems.length > 3 ? `; and ${problems.length - 3} more` : "");
    return { ok: false, message: `${label} is not a servicevm ledger: ${shown}: pass ${kind}, unmodified` };
  }
  return { ok: true, ledger: value as Ledger | LedgerV1, from: label };
}

/** The device names a ledger of either version records (a version 1 ledger: its placements' devices). */
export function ledgerDeviceNames(ledger: Ledger | LedgerV1 | undefined): string[] {
  if (ledger === undefined) return [];
  const names = Object.values(ledger.placements).map((p) => p.device);
  if (ledger.version === 2)
    for (const pool of Object.values(ledger.pools)) names.push(...Object.keys(pool.devices));
  return names;
}

// ---- both inputs, as the commands read them ------------------------------------------------------

/** `--previous`'s help, shared by `plan`, `capacity` and `explain`. */
export const PREVIOUS_HELP =
  "previous `servicevm plan --format json` output, or `pulumi stack export` document of a stack with a servicevm Ledger (dynamic or provider plugin; its recorded health is used too), or - for stdin";

/** `--fleet`'s help, shared by `plan`, `capacity` and `explain`. */
export const FLEET_HELP =
  "Ledger resource or Fleet name (or the Ledger's URN) to read when the stack export holds several";

/** `--health`'s help, shared by `plan`, `capacity` and `explain`. */
export const HEALTH_HELP =
  'JSON file of device health to preview, e.g. {"fw-1": false} (false: unhealthy, true: healthy); overrides the health `--previous` records, device by device; a device the plan does not have is a warning';

/** The `--previous`, `--fleet` and `--health` flags of `plan`, `capacity` and `explain`. */
export interface PreviewFlags {
  previous?: string;
  fleet?: string;
  health?: string;
}

/**
 * What the planner takes besides the spec: the previous ledger, and the health to plan with (the
 * Ledger's recorded health, overridden device by device by `--health`), with the `--health` file's
 * own map and name for the warnings about devices the plan does not have.
 */
export interface PreviewInputs {
  previous?: Ledger | LedgerV1;
  health: HealthMap;
  override: HealthMap;
  /** How the `--health` file is called in messages (`<stdin>` for `-`). */
  healthName?: string;
}

/**
 * Why the inputs cannot be used: the file to name in the error (the `--previous` or `--health`
 * file), the message, a position when known, and the previous ledger when it was read.
 */
export interface PreviewFailure {
  file: string;
  message: string;
  line?: number;
  col?: number;
  previous?: Ledger | LedgerV1;
}

/**
 * Reads `--previous` (either kind of stack Ledger, its recorded health) and `--health`, and merges
 * the health: the file's entries override the recorded ones. A usage error (exit 2) when a file
 * cannot be read or is not what it should be, or when the stack records a device's health as an
 * encrypted secret that `--health` does not give.
 */
export async function readPreviewInputs(
  ctx: CliContext,
  flags: PreviewFlags,
): Promise<({ ok: true } & PreviewInputs) | ({ ok: false } & PreviewFailure)> {
  let previous: Ledger | LedgerV1 | undefined;
  let recorded: HealthMap = {};
  let sealed: string[] = [];
  let from = "";
  let previousName = "";
  if (flags.previous !== undefined) {
    const prev = await ctx.tryReadInput(flags.previous, "the previous plan");
    if (!prev.ok) return { ok: false, file: flags.previous, message: prev.message };
    const text = decodeUtf8(prev.bytes);
    if (!text.ok) {
      const { line, col } = text;
      return {
        ok: false,
        file: prev.name,
        message: `\`${prev.name}\` (--previous): ${text.message}`,
        line,
        col,
      };
    }
    const read = readPrevious(text.text, prev.name, flags.fleet);
    if (!read.ok) return { ok: false, file: prev.name, message: read.message };
    ({ ledger: previous, health: recorded, sealed, from } = read);
    previousName = prev.name;
  }
  let override: HealthMap = {};
  let healthName: string | undefined;
  if (flags.health !== undefined) {
    const file = await ctx.tryReadInput(flags.health, "the health file");
    if (!file.ok) return { ok: false, file: flags.health, message: file.message, previous };
    healthName = file.name;
    const text = decodeUtf8(file.bytes);
    if (!text.ok) {
      const { line, col } = text;
      return {
        ok: false,
        file: file.name,
        message: `\`${file.name}\` (--health): ${text.message}`,
        line,
        col,
        previous,
      };
    }
    const read = readHealth(text.text, file.name);
    if (!read.ok) return { ok: false, file: file.name, message: read.message, previous };
    override = read.health;
  }
  const missing = sealed.filter((d) => !Object.hasOwn(override, d));
  if (missing.length > 0) {
    return {
      ok: false,
      file: previousName,
      message: `${from} records the health of ${limitedList(missing, 3)} as an encrypted secret: export with \`pulumi stack export --show-secrets\`, or give ${missing.length === 1 ? "its" : "their"} health in \`--health\``,
      previous,
    };
  }
  return {
    ok: true,
    ...(previous !== undefined ? { previous } : {}),
    health: { ...recorded, ...override },
    override,
    ...(healthName !== undefined ? { healthName } : {}),
  };
}
