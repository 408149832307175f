/**
 * A scratch Pulumi project with servicevm installed the way a user gets it: `npm pack` of this
 * repository, extracted into the project's `node_modules/servicevm`, so only the files the package
 * really ships (its `files` list) are there. Its other dependencies are links to this repository's
 * `node_modules` (no network). Built once per process (a test file, with `pool: "forks"`).
 *
 * What it does not prove: that npm resolves the package's dependency ranges the same way from a
 * registry; the links give every package the versions this repository has installed.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureBuilt } from "../cli/built";

export interface ScratchProject {
  /** The project directory (`Pulumi.yaml`, `package.json`, `node_modules`). */
  dir: string;
  /** The project's name (`Pulumi.yaml`). */
  name: string;
  /** `node_modules/servicevm`, the extracted tarball. */
  packageDir: string;
  /** `node_modules/servicevm/plugin`, the provider plugin's directory. */
  pluginDir: string;
  /** The packed package's version. */
  version: string;
  /** Paths the tarball holds, relative to the package (`dist/plugin/main.js`), sorted. */
  files: string[];
}

const PROJECT = "scratch";

/**
 * This repository's root: the nearest directory above this module whose package.json is
 * servicevm's. The same directory as `ROOT` of `test/cli/built.ts` when run from source (vitest),
 * and still the repository when run compiled from `dist/test/plugin/` (the benchmark), where a
 * fixed `../..` would be `dist/`.
 */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (
      fs.existsSync(file) &&
      (JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string }).name === "servicevm"
    )
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json of servicevm above ${__dirname}`);
  }
}

const ROOT = repoRoot();

let cached: ScratchProject | undefined;

function newestMtime(dir: string, suffix: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestMtime(p, suffix));
    else if (e.name.endsWith(suffix)) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

/**
 * `ensureBuilt` compares `dist/` with the other source directories only; the plugin's sources
 * (`plugin/*.ts`) are built by the same `tsc -p tsconfig.build.json`, run here when
 * `dist/plugin/main.js` is missing or older than them.
 */
function ensurePluginBuilt(): void {
  const sources = path.join(ROOT, "plugin");
  if (!fs.existsSync(sources)) return;
  const main = path.join(ROOT, "dist", "plugin", "main.js");
  if (fs.existsSync(main) && fs.statSync(main).mtimeMs >= newestMtime(sources, ".ts")) return;
  try {
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, "node_modules", "typescript", "bin", "tsc"),
        "-p",
        path.join(ROOT, "tsconfig.build.json"),
      ],
      { cwd: ROOT, stdio: "pipe" },
    );
  } catch {
    // Type errors elsewhere do not stop tsc from emitting; the tests say whether the plugin works.
  }
}
let tempRoot: string | undefined;

function packFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

export interface ScratchOptions {
  /**
   * Build `dist/` first when it is stale. The benchmark, run from `dist/` after `npm run build`,
   * passes false (`ensureBuilt` finds the sources relative to itself, which only works from source).
   * @default true
   */
  build?: boolean;
}

/**
 * The scratch project, made on first use: builds `dist/` if it is stale, packs the repository with
 * `npm pack --ignore-scripts` (the `prepare` script would rebuild `dist/` under other test files),
 * extracts the tarball and links the other dependencies.
 */
export function scratchProject(opts: ScratchOptions = {}): ScratchProject {
  if (cached !== undefined) return cached;
  if (opts.build ?? true) {
    ensureBuilt();
    ensurePluginBuilt();
  }
  tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), "servicevm-plugin-"));
  const packDir = path.join(tempRoot, "pack");
  fs.mkdirSync(packDir);
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        npm_config_update_notifier: "false",
        npm_config_audit: "false",
        npm_config_fund: "false",
      },
    }),
  ) as { filename: string; version: string }[];
  const tarball = path.join(packDir, packed[0].filename);

  const dir = path.join(tempRoot, PROJECT);
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(modules, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", packDir]);
  const packageDir = path.join(modules, "servicevm");
  fs.renameSync(path.join(packDir, "package"), packageDir);
  for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) {
    if (entry === "servicevm" || entry === ".bin" || entry.startsWith(".package-lock")) continue;
    fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(modules, entry), "dir");
  }
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify(
      { name: PROJECT, private: true, main: "index.js", dependencies: { servicevm: packed[0].version } },
      null,
      2,
    ),
  );
  cached = {
    dir,
    name: PROJECT,
    packageDir,
    pluginDir: path.join(packageDir, "plugin"),
    version: packed[0].version,
    files: packFiles(packageDir),
  };
  return cached;
}

/** Removes the scratch project (for `afterAll`). */
export function removeScratchProject(): void {
  if (tempRoot !== undefined) fs.rmSync(tempRoot, { recursive: true, force: true });
  tempRoot = undefined;
  cached = undefined;
}
