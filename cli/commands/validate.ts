/** `servicevm validate <spec>`: the spec alone (schema, names, references), not whether it fits. */
import { Command } from "commander";
import { checkSpec } from "../../schema/loader";
import { formatIssue } from "../../schema/errors";
import { EXIT, type CliContext } from "../context";

export function validateCommand(ctx: CliContext): Command {
  return new Command("validate")
    .description("check a fleet spec: schema, names and references (exit 0 valid, 1 invalid)")
    .argument("<spec>", "fleet spec file (YAML or JSON), or - for stdin")
    .action(async (specArg: string) => {
      const input = await ctx.readInput(specArg, "the spec");
      if (!input) return;
      const result = checkSpec(input.bytes, input.name);
      if (!result.spec) {
        for (const issue of result.errors) ctx.io.stderr.write(`${formatIssue(issue)}\n`);
        ctx.exitCode = EXIT.failed;
        return;
      }
      const count = (r: object | undefined): number => Object.keys(r ?? {}).length;
      const s = result.spec;
      ctx.io.stdout.write(
        `${input.name}: valid (${count(s.templates)} templates, ${count(s.pools)} pools, ${count(s.allocations)} allocations)\n`,
      );
      ctx.exitCode = EXIT.ok;
    });
}
