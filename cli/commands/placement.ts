/**
 * `servicevm placement status <spec> [--fleet <name>] [--cloud <name>] [--endpoint <url>]
 * [--token <token>] [--format text|json] [--progress]`: what OpenStack Placement holds against
 * the spec (drift, foreign usage), read-only. Exit 0 in sync; 1 drift found, invalid spec,
 * infeasible plan or Placement unreachable; 2 usage error. The token is never printed.
 */
import { basename, extname } from "node:path";
import { Command, Option } from "commander";
import { canonicalJson } from "../../core/canonical";
import { plan } from "../../core/plan";
import type { FleetSpec } from "../../core/types";
import { AuthConfigError, connectPlacement } from "../../provider/placement/auth";
import type { PlacementClient } from "../../provider/placement/client";
import { PlacementError } from "../../provider/placement/errors";
import { formatStatus, placementStatus, type StatusReport } from "../../provider/placement/status";
import { formatIssue } from "../../schema/errors";
import { checkSpec } from "../../schema/loader";
import { EXIT, reportPlanErrors, type CliContext } from "../context";
import { NAME } from "../../core/names";

export const STATUS_FORMATS = ["text", "json"] as const;
export type StatusFormat = (typeof STATUS_FORMATS)[number];

interface StatusFlags {
  fleet?: string;
  cloud?: string;
  endpoint?: string;
  token?: string;
  format: StatusFormat;
  progress?: boolean;
}

const FLEET_NAME = NAME;

/** The fleet's name: `--fleet`, else the spec file's base name (`infra.yaml` -> `infra`) when it is a valid name. */
export function fleetName(flag: string | undefined, specName: string): string | undefined {
  if (flag !== undefined) return flag;
  if (specName === "<stdin>") return undefined;
  const base = basename(specName, extname(specName));
  return FLEET_NAME.test(base) ? base : undefined;
}

/**
 * Progress on stderr: `reading providers 120/1000`. On a terminal one line rewritten in place;
 * otherwise (with `--progress`) a line at 0, every tenth and the end, so logs stay short.
 */
export function progressWriter(
  stderr: CliContext["io"]["stderr"],
  tty: boolean,
): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const text = `reading providers ${done}/${total}`;
    if (tty) {
      stderr.write(`\r${text}${done === total ? "\n" : ""}`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((10 * done) / total);
    if (tenth === lastTenth && done !== total) return;
    lastTenth = tenth;
    stderr.write(`${text}\n`);
  };
}

/** One line for a Placement that could not be asked: what failed, where, and the fix. Never the token. */
export function unreachableMessage(err: PlacementError, endpoint: string): string {
  const code = /\((E[A-Z]+)\)/.exec(err.info.detail)?.[1];
  const why =
    err.kind === "timeout"
      ? err.info.detail
      : code === "ECONNREFUSED"
        ? "connection refused"
        : (code ?? "no connection");
  return `cannot reach Placement at ${endpoint} (${why}, ${err.info.attempts} attempt${err.info.attempts === 1 ? "" : "s"}): check \`--endpoint\` (or \`backend.endpoint\` in the spec) and that Placement is running there`;
}

export function placementCommand(ctx: CliContext): Command {
  const status = new Command("status")
    .description(
      "compare what OpenStack Placement holds with the spec: drift and foreign usage (exit 0 in sync, 1 drift or unreachable)",
    )
    .argument("<spec>", "fleet spec file (YAML or JSON), or - for stdin")
    .option(
      "--fleet <name>",
      "the fleet's name (its Ledger's `fleet`); default: the spec file's name without extension",
    )
    .option("--cloud <name>", "clouds.yaml entry; default: `backend.cloud`, then OS_CLOUD / OS_* variables")
    .option("--endpoint <url>", "Placement URL; default: `backend.endpoint`, then the Keystone catalog")
    .option(
      "--token <token>",
      "a static token (needs an endpoint); default: Keystone from clouds.yaml / OS_*",
    )
    .addOption(new Option("--format <format>", "output format").choices(STATUS_FORMATS).default("text"))
    .option("--progress", "progress lines on stderr even when it is not a terminal")
    .action((specArg: string, flags: StatusFlags) => runStatus(ctx, specArg, flags));
  return new CommandGroup("placement")
    .description("OpenStack Placement backend: `placement status` shows drift between Placement and the spec")
    .addCommand(status);
}

/** `placement status`: read the spec, plan it, connect, compare, print; exit 0 in sync, 1 otherwise. */
async function runStatus(ctx: CliContext, specArg: string, flags: StatusFlags): Promise<void> {
  const input = await ctx.readInput(specArg, "the spec");
  if (!input) return;
  const fleet = fleetName(flags.fleet, input.name);
  if (fleet === undefined || !FLEET_NAME.test(fleet)) {
    ctx.usageError(
      fleet === undefined
        ? `cannot tell the fleet's name from \`${input.name}\`: pass \`--fleet <name>\` (the Ledger's \`fleet\`)`
        : `\`--fleet ${fleet}\` is not a fleet name (a lower-case letter, then up to 62 lower-case letters, digits or \`-\`): pass the Ledger's \`fleet\``,
    );
    return;
  }
  const checked = checkSpec(input.bytes, input.name);
  if (!checked.spec) {
    for (const issue of checked.errors) ctx.io.stderr.write(`${formatIssue(issue)}\n`);
    ctx.exitCode = EXIT.failed;
    return;
  }
  const spec: FleetSpec = checked.spec;
  const result = plan(spec);
  if (!result.ok) {
    reportPlanErrors(ctx, input.name, (path) => checked.position(path), result.errors);
    return;
  }
  const backend = spec.backend?.kind === "placement" ? spec.backend : undefined;
  const endpoint = flags.endpoint ?? backend?.endpoint;
  const cloud = flags.cloud ?? backend?.cloud;
  if (flags.token !== undefined && endpoint === undefined) {
    ctx.usageError(
      "`--token` needs the Placement URL: pass `--endpoint <url>` or set `backend.endpoint` in the spec",
    );
    return;
  }

  let client: PlacementClient;
  try {
    client = await connectPlacement({
      endpoint,
      token: flags.token,
      cloud,
      env: ctx.io.env,
    });
  } catch (e) {
    if (e instanceof PlacementError) {
      ctx.io.stderr.write(`servicevm: ${unreachableMessage(e, endpoint ?? "the Keystone endpoint")}\n`);
    } else {
      const why = e instanceof AuthConfigError || e instanceof Error ? e.message : String(e);
      ctx.io.stderr.write(
        `servicevm: cannot connect to Placement: ${why}; pass \`--endpoint\` and \`--token\`, or \`--cloud\` with a clouds.yaml entry (or OS_* variables)\n`,
      );
    }
    ctx.exitCode = EXIT.failed;
    return;
  }

  const tty = ctx.io.stderr.isTTY === true;
  const onProgress = tty || flags.progress === true ? progressWriter(ctx.io.stderr, tty) : undefined;
  let report: StatusReport;
  try {
    report = await placementStatus(client, { fleet, spec, result, onProgress });
  } catch (e) {
    if (!(e instanceof PlacementError)) throw e;
    const where = endpoint ?? "the catalog's Placement endpoint";
    ctx.io.stderr.write(
      e.kind === "unavailable" || e.kind === "timeout"
        ? `servicevm: ${unreachableMessage(e, where)}\n`
        : `servicevm: Placement at ${where} refused to report: ${e.message}\n`,
    );
    ctx.exitCode = EXIT.failed;
    return;
  }
  ctx.io.stdout.write(flags.format === "json" ? canonicalJson(report) : formatStatus(report));
  ctx.exitCode = report.inSync ? EXIT.ok : EXIT.failed;
}

/** A command with subcommands that hands the program's settings (exit override, output) on to them. */
class CommandGroup extends Command {
  override copyInheritedSettings(source: Command): this {
    super.copyInheritedSettings(source);
    for (const sub of this.commands) {
      sub.copyInheritedSettings(this);
      sub.showHelpAfterError(`(run \`servicevm ${this.name()} ${sub.name()} --help\` for usage)`);
    }
    return this;
  }
}
