/** An in-memory CliIo for running `main()` in-process. */
import { Readable } from "node:stream";
import type { CliIo } from "../../cli/context";
import { main } from "../../cli/main";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string | Uint8Array;
  env?: Record<string, string | undefined>;
  tty?: boolean;
}

export async function run(argv: string[], opts: RunOptions = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: opts.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin: Readable.from(
      opts.stdin === undefined ? [] : [typeof opts.stdin === "string" ? Buffer.from(opts.stdin) : opts.stdin],
    ),
    env: opts.env ?? {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
