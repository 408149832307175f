/**
 * Reads the previous ledger for `servicevm plan --previous`: from a previous
 * `servicevm plan --format json` output (its `.ledger`), a bare ledger, or a `pulumi stack export`
 * document (the `ledger` output of the servicevm Ledger dynamic resource).
 */
import type { Ledger, LedgerV1 } from "../core/types";
import { DYNAMIC_TOKENS } from "../tokens";

/** Type token of the Ledger dynamic resource (DESIGN §6). */
export const LEDGER_TYPE = DYNAMIC_TOKENS.ledger;

/** Pulumi's marker of a secret value in state (`sig.Key` / `sig.Secret`). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The ledger as read: version 2, or a servicevm 0.1 ledger (version 1), which the planner upgrades. */
export type PreviousResult =
  { ok: true; ledger: Ledger | LedgerV1; from: string } | { ok: false; message: string };

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
    return checked(doc.ledger, `\`${name}\` (a servicevm plan)`, "a plan output");
  if (typeof doc.version === "number" && "pools" in doc && "placements" in doc)
    return checked(doc, `\`${name}\` (a ledger)`, "a ledger");
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

function fromStackExport(doc: Rec, name: string, fleet: string | undefined): PreviousResult {
  const deployment = isRec(doc.deployment)
    ? doc.deployment
    : isRec(doc.checkpoint) && isRec(doc.checkpoint.latest)
      ? doc.checkpoint.latest
      : {};
  const resources = Array.isArray(deployment.resources) ? deployment.resources.filter(isRec) : [];
  const ledgers = resources.filter((r) => r.type === LEDGER_TYPE && r.delete !== true);
  const kind = "deployment" in doc ? "`pulumi stack export` document" : "Pulumi checkpoint";
  if (ledgers.length === 0) {
    return {
      ok: false,
      message: `\`${name}\` is a ${kind} holding ${resources.length} resource${resources.length === 1 ? "" : "s"} and no servicevm Ledger (type \`${LEDGER_TYPE}\`): export the stack whose program creates the servicevm \`Fleet\`, or pass a \`servicevm plan --format json\` output`,
    };
  }
  // A Fleet `edge` names its Ledger `edge-ledger` and is its parent: either name chooses it.
  const names = (r: Rec): string[] => {
    const own = urnName(r.urn);
    const parent =
      typeof r.parent === "string" && r.parent.includes("servicevm:index:Fleet::") ? urnName(r.parent) : "";
    return [own, own.endsWith("-ledger") ? own.slice(0, -"-ledger".length) : "", parent].filter(
      (n) => n !== "",
    );
  };
  const all = [...new Set(ledgers.map((r) => urnName(r.urn)))].sort();
  let chosen: Rec;
  if (fleet !== undefined) {
    const hits = ledgers.filter((r) => names(r).includes(fleet));
    if (hits.length !== 1) {
      return {
        ok: false,
        message:
          hits.length === 0
            ? `\`${name}\` has no servicevm Ledger named \`${fleet}\`; its Ledger resources are ${codeList(all)}: pass one of them to \`--fleet\``
            : `\`${name}\` has ${hits.length} servicevm Ledgers matching \`${fleet}\`: pass the Ledger's own resource name to \`--fleet\` (one of ${codeList(all)})`,
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
  if (isRec(ledger) && ledger[SECRET_SIG_KEY] === SECRET_SIG) {
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
  return checked(ledger, label, "a stack export");
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
function checked(value: unknown, label: string, kind: string): PreviousResult {
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
