/**
 * `servicevm plan <spec> [--previous <file|->] [--format text|markdown|json] [--fleet <name>]`:
 * offline, without credentials, which service lands where, what moves and how pools grow.
 */
import { Command, Option } from "commander";
import { canonicalJson } from "../../core/canonical";
import { plan } from "../../core/plan";
import { renderMarkdown, renderText } from "../../core/report";
import type { Ledger } from "../../core/types";
import { formatIssue } from "../../schema/errors";
import { checkSpec } from "../../schema/loader";
import { decodeUtf8 } from "../../schema/text";
import { EXIT, reportPlanErrors, type CliContext } from "../context";
import { readPrevious } from "../previous";

export const FORMATS = ["text", "markdown", "json"] as const;
export type Format = (typeof FORMATS)[number];

interface PlanFlags {
  previous?: string;
  format: Format;
  fleet?: string;
}

export function planCommand(ctx: CliContext): Command {
  return new Command("plan")
    .description(
      "plan a fleet: placements, moves and pool sizes (exit 0 ok, 1 invalid spec or infeasible plan)",
    )
    .argument("<spec>", "fleet spec file (YAML or JSON), or - for stdin")
    .option(
      "--previous <file|->",
      "previous `servicevm plan --format json` output or `pulumi stack export` document, or - for stdin",
    )
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .option("--fleet <name>", "Ledger resource (or Fleet) name to read when the stack export holds several")
    .action(async (specArg: string, flags: PlanFlags) => {
      if (flags.fleet !== undefined && flags.previous === undefined) {
        ctx.usageError(
          "`--fleet` chooses the Ledger in a `--previous` stack export: pass `--previous <file>` too",
        );
        return;
      }
      const input = await ctx.readInput(specArg, "the spec");
      if (!input) return;
      let previous: Ledger | undefined;
      if (flags.previous !== undefined) {
        const prev = await ctx.readInput(flags.previous, "the previous plan");
        if (!prev) return;
        const text = decodeUtf8(prev.bytes);
        if (!text.ok) {
          ctx.usageError(`\`${prev.name}\` (--previous): ${text.message}`);
          return;
        }
        const read = readPrevious(text.text, prev.name, flags.fleet);
        if (!read.ok) {
          ctx.usageError(read.message);
          return;
        }
        previous = read.ledger;
      }

      const checked = checkSpec(input.bytes, input.name);
      if (!checked.spec) {
        for (const issue of checked.errors) ctx.io.stderr.write(`${formatIssue(issue)}\n`);
        ctx.exitCode = EXIT.failed;
        return;
      }
      const result = plan(checked.spec, previous ? { previous } : {});
      const out =
        flags.format === "json"
          ? `${canonicalJson(result)}\n`
          : flags.format === "markdown"
            ? renderMarkdown(result, { title: input.name })
            : renderText(result, { color: ctx.color, title: input.name });
      ctx.io.stdout.write(out);
      if (!result.ok) {
        reportPlanErrors(ctx, input.name, (path) => checked.position(path), result.errors);
        return;
      }
      ctx.exitCode = EXIT.ok;
    });
}
