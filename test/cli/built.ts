/**
 * Builds dist/ for the tests that run built code (`bin/servicevm.js`, the real provider hosts), when
 * it is missing or older than any source, so `npx vitest` alone never tests stale code.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(__dirname, "../..");
export const BIN = join(ROOT, "bin", "servicevm.js");

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(
      t,
      entry.isDirectory()
        ? newest(p)
        : entry.name.endsWith(".ts") || entry.name.endsWith(".json")
          ? statSync(p).mtimeMs
          : 0,
    );
  }
  return t;
}

/** Runs `tsc -p tsconfig.build.json` (what `npm run build` runs) unless dist/ is newer than the sources. */
export function ensureBuilt(): void {
  const main = join(ROOT, "dist", "cli", "main.js");
  const sources = Math.max(
    ...["cli", "schema", "core", "provider", "components"].map((d) => newest(join(ROOT, d))),
    ...["index.ts", "tokens.ts"].map((f) => statSync(join(ROOT, f)).mtimeMs),
  );
  if (existsSync(main) && statSync(main).mtimeMs >= sources) return;
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.build.json")],
      { cwd: ROOT, stdio: "pipe" },
    );
  } catch {
    // Type errors elsewhere in the tree do not stop tsc from emitting; the tests say whether the CLI works.
  }
}
