/**
 * `servicevm capacity <spec> [--previous <file|->] [--health <file|->] [--shape CLASS=N,...]...
 * [--tenant T] [--format text|markdown|json] [--fleet <name>]`: per pool and zone, how many more
 * allocations of a shape fit on the devices that exist (standby included) and up to `max`, and which
 * limit binds first (`core/headroom.ts`), with the health `plan` takes (the `--previous` stack's
 * recorded health, overridden by `--health`). Without `--shape`, the shapes of the spec's
 * allocations. Offline, no credentials; exit codes as `servicevm plan`'s: 0 ok, 1 invalid spec or
 * infeasible plan, 2 usage error. With `--format markdown` or `json`, stdout is one complete document whatever happens.
 *
 * The JSON document is `{ ok, errors, shapes }` with sorted keys: `errors` located as `plan`'s
 * (`{ path, message, file, line, col }`), `shapes` the core's `ShapeHeadroom[]` (`[]` when no plan
 * could be made).
 */
import { Command, Option } from "commander";
import { canonicalJson } from "../../core/canonical";
import { headroom, type HeadroomShape, specShapes } from "../../core/headroom";
import { isExternalPool, POOL_DEFAULTS } from "../../core/model";
import { plan } from "../../core/plan";
import {
  type HeadroomReport,
  type HeadroomRenderOptions,
  renderHeadroomMarkdown,
  renderHeadroomText,
} from "../../core/report/headroom";
import type { ReportError } from "../../core/report";
import { closest, codeList } from "../../core/suggest";
import type { FleetSpec } from "../../core/types";
import { formatIssue } from "../../schema/errors";
import { checkSpec } from "../../schema/loader";
import { fleetSchema } from "../../schema/loader";
import { EXIT, reportPlanErrors, type CliContext } from "../context";
import { COMMAND_LINE, fileError, issueError, type Format } from "../planDocument";
import {
  FLEET_HELP,
  HEALTH_HELP,
  ledgerDeviceNames,
  PREVIOUS_HELP,
  readPreviewInputs,
  unknownHealthDevices,
} from "../previous";

export const FORMATS = ["text", "markdown", "json"] as const satisfies readonly Format[];

interface CapacityFlags {
  previous?: string;
  health?: string;
  shape?: string[];
  tenant?: string;
  format: Format;
  fleet?: string;
}

/** The schema's resource class rule (`$defs.resourceClass.pattern`), its one home. */
const RESOURCE_CLASS = new RegExp(
  (fleetSchema.$defs as Record<string, { pattern: string }>).resourceClass.pattern,
);
/** The largest demand the schema allows (Placement's largest integer). */
const MAX_AMOUNT = 2147483647;
/** The longest tenant name the schema allows. */
const MAX_TENANT = 255;

const EXAMPLE = "e.g. `--shape CUSTOM_SERVICE_SLOT=2,VCPU=1`";

/** A `--shape` value as a demand, or the usage error naming the flag, the rule and a fix. */
export function parseShape(
  value: string,
): { ok: true; demand: Record<string, number> } | { ok: false; message: string } {
  const flag = `\`--shape ${value}\``;
  const demand: Record<string, number> = {};
  if (value.trim() === "")
    return {
      ok: false,
      message: `\`--shape\` is empty: give each resource class and its amount, ${EXAMPLE}`,
    };
  for (const item of value.split(",")) {
    const eq = item.indexOf("=");
    if (eq < 0) {
      return {
        ok: false,
        message: `${flag}: \`${item}\` is not CLASS=N: give each resource class and its amount, ${EXAMPLE}`,
      };
    }
    const rc = item.slice(0, eq).trim();
    const text = item.slice(eq + 1).trim();
    if (!RESOURCE_CLASS.test(rc)) {
      const upper = rc.toUpperCase();
      const fix = RESOURCE_CLASS.test(upper) ? `write \`${upper}=${text}\`` : EXAMPLE;
      return {
        ok: false,
        message: `${flag}: \`${rc}\` is not a resource class (a standard name such as \`VCPU\`, or \`CUSTOM_[A-Z0-9_]+\`): ${fix}`,
      };
    }
    const amount = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!(amount >= 1 && amount <= MAX_AMOUNT)) {
      return {
        ok: false,
        message: `${flag}: the amount of ${rc} must be a whole number from 1 to ${MAX_AMOUNT}, as a demand in the spec, not \`${text}\`: e.g. \`${rc}=1\``,
      };
    }
    if (Object.hasOwn(demand, rc))
      return { ok: false, message: `${flag}: ${rc} is given twice: give each resource class once` };
    demand[rc] = amount;
  }
  return { ok: true, demand };
}

/** Each pool's size as the reports name it: `size`, the declared devices, or `max`. */
function poolSizes(spec: FleetSpec): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const [name, p] of Object.entries(spec.pools)) {
    if (isExternalPool(p)) continue;
    sizes[name] = p.size ?? p.devices?.length ?? p.max ?? POOL_DEFAULTS.max;
  }
  return sizes;
}

/** A class no owned pool has, as the usage error for `--shape`, or undefined when every class is somewhere. */
function unknownClass(spec: FleetSpec, value: string, demand: Record<string, number>): string | undefined {
  const known = new Set<string>();
  for (const p of Object.values(spec.pools)) {
    if (isExternalPool(p)) continue;
    for (const rc of Object.keys(spec.templates[p.template]?.capacity ?? {})) known.add(rc);
    for (const d of p.devices ?? []) for (const rc of Object.keys(d.capacity ?? {})) known.add(rc);
  }
  const missing = Object.keys(demand).find((rc) => !known.has(rc));
  if (missing === undefined) return undefined;
  const near = closest(missing, known);
  const fix = near !== undefined ? `did you mean \`${near}\`?` : `use one of ${codeList([...known].sort())}`;
  return `\`--shape ${value}\`: no pool of the spec has ${missing} inventory, so nothing of this shape fits anywhere: ${fix}`;
}

function write(ctx: CliContext, report: HeadroomReport, format: Format, opts: HeadroomRenderOptions): void {
  ctx.io.stdout.write(
    format === "json"
      ? canonicalJson(report)
      : format === "markdown"
        ? renderHeadroomMarkdown(report, opts)
        : renderHeadroomText(report, { ...opts, errorsElsewhere: "stderr" }),
  );
}

export function capacityCommand(ctx: CliContext): Command {
  return new Command("capacity")
    .description(
      "headroom: how many more allocations of a shape fit per pool and zone, now and up to `max`, and what binds first (exit 0 ok, 1 invalid spec or infeasible plan)",
    )
    .argument("<spec>", "fleet spec file (YAML or JSON), or - for stdin")
    .option("--previous <file|->", PREVIOUS_HELP)
    .option("--health <file|->", HEALTH_HELP)
    .option(
      "--shape <CLASS=N,...>",
      "a shape to measure (repeatable); default: each distinct demand of the spec's allocations",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option("--tenant <name>", "the tenant of the new allocations; default: each one a new tenant")
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .option("--fleet <name>", FLEET_HELP)
    .action(async (specArg: string, flags: CapacityFlags) => {
      const title = specArg === "-" ? "<stdin>" : specArg;
      const previousLabel = flags.previous === "-" ? "<stdin>" : flags.previous;
      const render = { title, previous: previousLabel };
      /** A usage error: the line on stderr, exit 2, and with markdown or json the document of no report. */
      const usage = (file: string, message: string, position?: { line?: number; col?: number }): void => {
        ctx.usageError(message);
        if (flags.format !== "text") {
          const error = fileError(file, message, position?.line, position?.col);
          write(ctx, { ok: false, errors: [error], shapes: [] }, flags.format, render);
        }
      };
      const demands: Record<string, number>[] = [];
      for (const value of flags.shape ?? []) {
        const parsed = parseShape(value);
        if (!parsed.ok) return usage(COMMAND_LINE, parsed.message);
        demands.push(parsed.demand);
      }
      if (flags.tenant !== undefined && (flags.tenant.length === 0 || flags.tenant.length > MAX_TENANT)) {
        return usage(
          COMMAND_LINE,
          `\`--tenant\` must be 1 to ${MAX_TENANT} characters, as a tenant in the spec, not ${flags.tenant.length}: pass the tenant's name`,
        );
      }
      if (flags.fleet !== undefined && flags.previous === undefined) {
        return usage(
          COMMAND_LINE,
          "`--fleet` chooses the Ledger in a `--previous` stack export: pass `--previous <file>` too",
        );
      }
      const input = await ctx.tryReadInput(specArg, "the spec");
      if (!input.ok) return usage(specArg, input.message);
      const inputs = await readPreviewInputs(ctx, flags);
      if (!inputs.ok) return usage(inputs.file, inputs.message, inputs);
      const { previous, health } = inputs;
      const options = { ...render, title: input.name };

      const checked = checkSpec(input.bytes, input.name);
      if (!checked.spec) {
        for (const issue of checked.errors) ctx.io.stderr.write(`${formatIssue(issue)}\n`);
        write(ctx, { ok: false, errors: checked.errors.map(issueError), shapes: [] }, flags.format, options);
        ctx.exitCode = EXIT.failed;
        return;
      }
      const spec = checked.spec;
      for (const [i, demand] of demands.entries()) {
        const message = unknownClass(spec, flags.shape![i], demand);
        if (message !== undefined) return usage(COMMAND_LINE, message);
      }
      const result = plan(spec, { ...(previous ? { previous } : {}), health });
      const position = (path: string): { line: number; col: number } => checked.position(path);
      if (inputs.healthName !== undefined) {
        const known = [...Object.keys(result.devices), ...ledgerDeviceNames(previous)];
        for (const warning of unknownHealthDevices(inputs.override, inputs.healthName, known))
          ctx.io.stderr.write(`servicevm: warning: ${warning}\n`);
      }
      if (!result.ok) {
        const errors: ReportError[] = result.errors.map((e) => ({
          ...e,
          file: input.name,
          ...position(e.path),
        }));
        write(ctx, { ok: false, errors, shapes: [] }, flags.format, options);
        reportPlanErrors(ctx, input.name, position, result.errors);
        return;
      }
      const tenant = flags.tenant ?? null;
      const shapes: HeadroomShape[] =
        demands.length > 0
          ? demands.map((demand) => ({ demand, tenant }))
          : specShapes(spec).map((s) => ({ demand: s.demand, tenant, allocations: s.allocations.length }));
      const report: HeadroomReport = {
        ok: true,
        errors: [],
        shapes: headroom(spec, result, shapes, { health }),
      };
      write(ctx, report, flags.format, {
        ...options,
        source: demands.length > 0 ? "`--shape`" : "the spec's allocations",
        sizes: poolSizes(spec),
      });
      ctx.exitCode = EXIT.ok;
    });
}
