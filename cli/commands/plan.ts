/**
 * `servicevm plan <spec> [--previous <file|->] [--health <file|->] [--format text|markdown|json]
 * [--fleet <name>]`: offline, without credentials, which service lands where, what moves and how
 * pools grow. The health it plans with is what the `--previous` stack's Ledger recorded, overridden
 * device by device by `--health` (`../previous.ts`). With `--format markdown` or `json` stdout is one
 * complete document whatever happens, errors included (`../planDocument.ts`); stderr has one line
 * per error and the exit code the verdict.
 */
import { Command, Option } from "commander";
import { plan } from "../../core/plan";
import type { Ledger, LedgerV1 } from "../../core/types";
import { formatIssue } from "../../schema/errors";
import { checkSpec } from "../../schema/loader";
import { EXIT, reportPlanErrors, type CliContext } from "../context";
import {
  COMMAND_LINE,
  failedDocument,
  fileError,
  issueError,
  locate,
  writeDocument,
  type Format,
} from "../planDocument";
import {
  FLEET_HELP,
  HEALTH_HELP,
  ledgerDeviceNames,
  PREVIOUS_HELP,
  readPreviewInputs,
  unknownHealthDevices,
} from "../previous";

export const FORMATS = ["text", "markdown", "json"] as const satisfies readonly Format[];
export type { Format };

interface PlanFlags {
  previous?: string;
  health?: string;
  format: Format;
  fleet?: string;
}

export function planCommand(ctx: CliContext): Command {
  return new Command("plan")
    .description(
      "plan a fleet: placements, moves and pool sizes (exit 0 ok, 1 invalid spec or infeasible plan)",
    )
    .argument("<spec>", "fleet spec file (YAML or JSON), or - for stdin")
    .option("--previous <file|->", PREVIOUS_HELP)
    .option("--health <file|->", HEALTH_HELP)
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .option("--fleet <name>", FLEET_HELP)
    .action(async (specArg: string, flags: PlanFlags) => {
      const title = specArg === "-" ? "<stdin>" : specArg;
      const previousLabel = flags.previous === "-" ? "<stdin>" : flags.previous;
      /**
       * A usage error: `servicevm: <message>` on stderr, exit 2, and with markdown or json the
       * document of a plan that could not be made (text leaves stdout empty, as other usage errors do).
       */
      const usage = (
        file: string,
        message: string,
        position?: { line?: number; col?: number },
        previous?: Ledger | LedgerV1,
      ): void => {
        ctx.usageError(message);
        if (flags.format !== "text") {
          const error = fileError(file, message, position?.line, position?.col);
          writeDocument(ctx, failedDocument([error], previous), {
            format: flags.format,
            title,
            previous: previousLabel,
          });
        }
      };
      if (flags.fleet !== undefined && flags.previous === undefined) {
        usage(
          COMMAND_LINE,
          "`--fleet` chooses the Ledger in a `--previous` stack export: pass `--previous <file>` too",
        );
        return;
      }
      const input = await ctx.tryReadInput(specArg, "the spec");
      if (!input.ok) {
        usage(specArg, input.message);
        return;
      }
      const inputs = await readPreviewInputs(ctx, flags);
      if (!inputs.ok) {
        usage(inputs.file, inputs.message, inputs, inputs.previous);
        return;
      }
      const { previous, health } = inputs;
      const options = { format: flags.format, title: input.name, previous: previousLabel };

      const checked = checkSpec(input.bytes, input.name);
      if (!checked.spec) {
        for (const issue of checked.errors) ctx.io.stderr.write(`${formatIssue(issue)}\n`);
        writeDocument(ctx, failedDocument(checked.errors.map(issueError), previous), options);
        ctx.exitCode = EXIT.failed;
        return;
      }
      const result = plan(checked.spec, { ...(previous ? { previous } : {}), health });
      const position = (path: string): { line: number; col: number } => checked.position(path);
      writeDocument(ctx, locate(result, input.name, position), options);
      if (inputs.healthName !== undefined) {
        const known = [...Object.keys(result.devices), ...ledgerDeviceNames(previous)];
        for (const warning of unknownHealthDevices(inputs.override, inputs.healthName, known))
          ctx.io.stderr.write(`servicevm: warning: ${warning}\n`);
      }
      if (!result.ok) {
        reportPlanErrors(ctx, input.name, position, result.errors);
        return;
      }
      ctx.exitCode = EXIT.ok;
    });
}
