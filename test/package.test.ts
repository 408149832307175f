/**
 * The npm package holds the library, the CLI, the schema and the provider plugin, and nothing else:
 * `npm pack --dry-run` lists what `npm publish` would upload (after `npm test`'s build).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");

describe("the npm package", () => {
  it("ships dist/ without the tests and benchmarks, the CLI launcher, the schema and the plugin's directory", () => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    const tops = [
      ...new Set(files.map((f) => (f.startsWith("dist/") ? f.split("/").slice(0, 2).join("/") : f))),
    ].sort();
    expect(tops.filter((t) => !/^dist\/(index|tokens)\.(js|d\.ts|js\.map)$/.test(t))).toEqual([
      "README.md",
      "bin/servicevm.js",
      "dist/cli",
      "dist/components",
      "dist/core",
      "dist/plugin",
      "dist/provider",
      "dist/schema",
      "package.json",
      "plugin/PulumiPlugin.yaml",
      "plugin/package.json",
      "plugin/schema.json",
      "schema/fleet.schema.json",
    ]);
    expect(files.some((f) => f.startsWith("dist/test/"))).toBe(false);
  });

  it("exports the public entry points and the two modules serialized providers require, nothing more", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
    };
    expect(Object.keys(pkg.exports)).toEqual([
      ".",
      "./core",
      "./schema/fleet.schema.json",
      "./package.json",
      "./dist/provider/ledgerImpl.js",
      "./dist/provider/applianceImpl.js",
    ]);
  });
});
