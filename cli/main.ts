/**
 * The `servicevm` command (DESIGN §5). `bin/servicevm.js` calls `main(process.argv.slice(2))` and
 * exits with the code it returns: 0 ok; 1 invalid spec or infeasible plan; 2 usage error.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command, CommanderError } from "commander";
import { commands } from "./commands";
import { createContext, EXIT, type CliIo } from "./context";

/** The package version, from the nearest package.json named `servicevm` (works from source and from dist/). */
export function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "servicevm" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not here; look further up
    }
    dir = dirname(dir);
  }
  return "0.0.0";
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Builds the command tree around one context. */
export function buildProgram(ctx: ReturnType<typeof createContext>): Command {
  const program = new Command("servicevm")
    .description(
      "Plan and check servicevm fleets offline: device templates, standby pools and tenant allocations.",
    )
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .helpCommand(true)
    .showHelpAfterError("(run `servicevm --help` for usage)")
    .exitOverride()
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  servicevm validate fleet.yaml",
        "  servicevm plan fleet.yaml --format json > plan.json",
        "  servicevm plan fleet.yaml --previous plan.json --format markdown",
        "  pulumi stack export --show-secrets | servicevm plan fleet.yaml --previous -",
        '  servicevm plan fleet.yaml --previous stack.json --health health.json   # {"fw-1": false}',
        '  servicevm placement status fleet.yaml --endpoint http://127.0.0.1:8778 --token "$TOKEN"',
        "",
        "Exit codes: 0 ok; 1 invalid spec or infeasible plan; 2 usage error.",
        "Colour only on a terminal, and never when NO_COLOR is set.",
      ].join("\n"),
    )
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  for (const make of commands) {
    const cmd = make(ctx).copyInheritedSettings(program);
    cmd.showHelpAfterError(`(run \`servicevm ${cmd.name()} --help\` for usage)`);
    program.addCommand(cmd);
  }
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const ctx = createContext(io);
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    io.stderr.write(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      ) {
        return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      }
      return EXIT.usage;
    }
    throw e;
  }
  return ctx.exitCode;
}
