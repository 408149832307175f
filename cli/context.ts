/**
 * What every `servicevm` subcommand gets: the process streams (injectable for tests), colour
 * policy, input reading and the exit code it sets.
 */
import { readFile } from "node:fs/promises";
import type { PlanError } from "../core/types";
import { formatIssue } from "../schema/errors";

/** The process streams and environment, injectable so tests run the CLI in-process. */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  stdin: AsyncIterable<Uint8Array | string>;
  env: Record<string, string | undefined>;
}

/** Exit codes of DESIGN §5. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });

/** A file argument's bytes, or the usage error that reading it gave (without the `servicevm: ` prefix). */
export type InputRead = { ok: true; bytes: Uint8Array; name: string } | { ok: false; message: string };

export interface CliContext {
  io: CliIo;
  /** Set by a subcommand's action; `main` returns it. */
  exitCode: number;
  /** ANSI colour on stdout: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
  color: boolean;
  /** Writes `servicevm: <message>` to stderr and sets the usage exit code. */
  usageError(message: string): void;
  /** Reads a file argument, or stdin for `-`; `undefined` (after a usage error) when it cannot be read. */
  readInput(arg: string, what: string): Promise<{ bytes: Uint8Array; name: string } | undefined>;
  /** Reads a file argument, or stdin for `-`, and says why it could not, without reporting it. */
  tryReadInput(arg: string, what: string): Promise<InputRead>;
}

export function createContext(io: CliIo): CliContext {
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "";
  let stdinTaken = false;
  const ctx: CliContext = {
    io,
    exitCode: EXIT.ok,
    color: !noColor && io.stdout.isTTY === true,
    usageError(message) {
      io.stderr.write(`servicevm: ${message}\n`);
      ctx.exitCode = EXIT.usage;
    },
    async readInput(arg, what) {
      const read = await ctx.tryReadInput(arg, what);
      if (read.ok) return { bytes: read.bytes, name: read.name };
      ctx.usageError(read.message);
      return undefined;
    },
    async tryReadInput(arg, what) {
      if (arg === "-") {
        if (stdinTaken) {
          return {
            ok: false,
            message: `only one input can be read from stdin (\`-\`), but ${what} is \`-\` too: pass a file for one of them`,
          };
        }
        stdinTaken = true;
        const chunks: Uint8Array[] = [];
        for await (const chunk of io.stdin)
          chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
        return { ok: true, bytes: Buffer.concat(chunks), name: "<stdin>" };
      }
      try {
        return { ok: true, bytes: await readFile(arg), name: arg };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const reason =
          code === "ENOENT"
            ? "no such file"
            : code === "EISDIR"
              ? "it is a directory"
              : code === "EACCES"
                ? "permission denied"
                : (e as Error).message;
        return { ok: false, message: `cannot read ${what} \`${arg}\`: ${reason}` };
      }
    },
  };
  return ctx;
}

/**
 * Writes a failed plan's errors to stderr, one `file:line:col: path: message` line each (the
 * position of each error's path in the spec), and sets the failure exit code.
 */
export function reportPlanErrors(
  ctx: CliContext,
  file: string,
  position: (path: string) => { line: number; col: number },
  errors: readonly PlanError[],
): void {
  for (const e of errors) {
    const { line, col } = position(e.path);
    ctx.io.stderr.write(`${formatIssue({ file, line, col, path: e.path, message: e.message })}\n`);
  }
  ctx.exitCode = EXIT.failed;
}
