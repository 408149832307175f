/**
 * `servicevm explain <spec> <allocation> [--previous <file|->] [--health <file|->]
 * [--format text|markdown|json] [--fleet <name>]`: why an allocation is on its device (the devices
 * in the planner's order and what put each before or after it), or why it fits nowhere and which
 * single spec change, checked by re-planning, would place it, with the health `plan` takes (the
 * `--previous` stack's recorded health, overridden by `--health`). Exit 0 explained (placed or not);
 * 1 invalid spec; 2 usage error (an unknown allocation is named with a did-you-mean).
 */
import { Command, Option } from "commander";
import { canonicalJson } from "../../core/canonical";
import { explainAllocation } from "../../core/explainAllocation";
import { plan } from "../../core/plan";
import { renderExplainMarkdown, renderExplainText } from "../../core/report/explain";
import { suggestion } from "../../core/suggest";
import { formatIssue } from "../../schema/errors";
import { checkSpec } from "../../schema/loader";
import { EXIT, reportPlanErrors, type CliContext } from "../context";
import type { Format } from "../planDocument";
import {
  FLEET_HELP,
  HEALTH_HELP,
  ledgerDeviceNames,
  PREVIOUS_HELP,
  readPreviewInputs,
  unknownHealthDevices,
} from "../previous";

export const EXPLAIN_FORMATS = ["text", "markdown", "json"] as const satisfies readonly Format[];

interface ExplainFlags {
  previous?: string;
  health?: string;
  format: Format;
  fleet?: string;
}

export function explainCommand(ctx: CliContext): Command {
  return new Command("explain")
    .description(
      "explain one allocation: why its device, or why it fits nowhere and what would place it (exit 0 explained, 1 invalid spec)",
    )
    .argument("<spec>", "fleet spec file (YAML or JSON), or - for stdin")
    .argument("<allocation>", "the allocation to explain")
    .option("--previous <file|->", PREVIOUS_HELP)
    .option("--health <file|->", HEALTH_HELP)
    .addOption(new Option("--format <format>", "output format").choices(EXPLAIN_FORMATS).default("text"))
    .option("--fleet <name>", FLEET_HELP)
    .action((specArg: string, allocation: string, flags: ExplainFlags) =>
      runExplain(ctx, specArg, allocation, flags),
    );
}

async function runExplain(
  ctx: CliContext,
  specArg: string,
  name: string,
  flags: ExplainFlags,
): Promise<void> {
  if (flags.fleet !== undefined && flags.previous === undefined) {
    ctx.usageError(
      "`--fleet` chooses the Ledger in a `--previous` stack export: pass `--previous <file>` too",
    );
    return;
  }
  const input = await ctx.readInput(specArg, "the spec");
  if (!input) return;
  const inputs = await readPreviewInputs(ctx, flags);
  if (!inputs.ok) {
    ctx.usageError(inputs.message);
    return;
  }
  const { previous, health } = inputs;
  const checked = checkSpec(input.bytes, input.name);
  if (!checked.spec) {
    for (const issue of checked.errors) ctx.io.stderr.write(`${formatIssue(issue)}\n`);
    ctx.exitCode = EXIT.failed;
    return;
  }
  const opts = { ...(previous ? { previous } : {}), health };
  const result = explainAllocation(checked.spec, name, opts);
  if (!result.ok) {
    if (result.kind === "invalid") {
      reportPlanErrors(ctx, input.name, (path) => checked.position(path), result.errors);
      return;
    }
    ctx.usageError(
      `no allocation \`${name}\` in \`${input.name}\`: ${suggestion(name, result.known, "allocation")}`,
    );
    return;
  }
  if (inputs.healthName !== undefined) {
    // The devices the plan has: explain looks at one allocation's part of the fleet.
    const known = [...Object.keys(plan(checked.spec, opts).devices), ...ledgerDeviceNames(previous)];
    for (const warning of unknownHealthDevices(inputs.override, inputs.healthName, known))
      ctx.io.stderr.write(`servicevm: warning: ${warning}\n`);
  }
  const render = { title: input.name, previous: flags.previous === "-" ? "<stdin>" : flags.previous };
  const e = result.explanation;
  ctx.io.stdout.write(
    flags.format === "json"
      ? canonicalJson(e)
      : flags.format === "markdown"
        ? renderExplainMarkdown(e, render)
        : renderExplainText(e, render),
  );
  ctx.exitCode = EXIT.ok;
}
