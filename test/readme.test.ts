/**
 * README.md and the examples' READMEs tell the truth: every `console` block is run as written (each `$ ` line in one bash,
 * in a scratch folder where `examples/` is the repository's) and must print exactly the lines that
 * follow it, standard output and error together. `npx servicevm` runs `bin/servicevm.js` on the
 * built package, rebuilt first when it is older than the sources.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./cli/built";

const ROOT = join(__dirname, "..");

interface Step {
  command: string;
  expected: string;
}

/** The `console` blocks of a Markdown text, each as its commands and their expected output. */
export function consoleBlocks(markdown: string): Step[][] {
  const blocks: Step[][] = [];
  const fence = /^```console\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const steps: Step[] = [];
    for (const line of match[1].replace(/\n$/, "").split("\n")) {
      if (line.startsWith("$ ")) steps.push({ command: line.slice(2), expected: "" });
      else if (steps.length > 0) steps[steps.length - 1].expected += `${line}\n`;
    }
    blocks.push(steps);
  }
  return blocks;
}

describe("README.md console blocks", () => {
  const dir = mkdtempSync(join(tmpdir(), "svm-readme-"));
  symlinkSync(join(ROOT, "examples"), join(dir, "examples"));
  beforeAll(ensureBuilt, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const readmes = [
    "README.md",
    ...readdirSync(join(ROOT, "examples")).map((e) => join("examples", e, "README.md")),
  ].filter((f) => existsSync(join(ROOT, f)));
  const blocks = readmes.flatMap((f) => consoleBlocks(readFileSync(join(ROOT, f), "utf8")));

  it("has console blocks to check", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(existsSync(join(ROOT, "dist", "cli", "main.js"))).toBe(true);
  });

  it.each(blocks.flat().map((s) => [s.command, s] as const))("`%s` prints what README shows", (_, step) => {
    const command = step.command.replace(/^npx servicevm\b/, `node ${join(ROOT, "bin", "servicevm.js")}`);
    let out: string;
    try {
      out = execFileSync("bash", ["-c", `${command} 2>&1`], {
        cwd: dir,
        encoding: "utf8",
        env: { PATH: process.env.PATH, NO_COLOR: "1" },
      });
    } catch (err) {
      // A command that exits non-zero (a failed validation) still prints what README shows.
      out = (err as { stdout: string }).stdout;
    }
    expect(out).toBe(step.expected);
  });
});
