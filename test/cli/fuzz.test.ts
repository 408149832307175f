/**
 * Fuzz: mutated example fleets (type swaps, removed keys, wrong names, huge numbers, bytes that
 * are not UTF-8, deep nesting, cut-off text) never crash or hang `servicevm validate` or `plan`:
 * they end in exit 0 or 1, and every failure is explained on stderr as `file[:line:col]: ...`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { checkInvariants } from "../../core/invariants";
import { plan } from "../../core/plan";
import type { PlanResult } from "../../core/types";
import { checkSpec } from "../../schema/loader";
import { run } from "./io";

const ROOT = join(__dirname, "../..");
const SEEDS = ["nfv-edge", "docker-lab", "physical-appliances", "mixed"].map(
  (n) => parse(readFileSync(join(ROOT, "examples", n, "fleet.yaml"), "utf8")) as unknown,
);
const DEEP = "__servicevm_deep__";
const ERROR_LINE = /^<stdin>(:\d+:\d+)?: \S/;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

function paths(node: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(node)) node.forEach((v, i) => paths(v, [...at, i], out));
  else if (typeof node === "object" && node !== null)
    for (const [k, v] of Object.entries(node)) paths(v, [...at, k], out);
  return out;
}

function parentOf(root: Json, path: Path): Json | undefined {
  let node: Json | undefined = root;
  for (const seg of path.slice(0, -1)) node = (node as Record<string | number, Json> | undefined)?.[seg];
  return node;
}

const HUGE = [1e308, -1, 0, 2147483648, 4294967296, 1.5, -0.5, Number.MAX_SAFE_INTEGER + 2];

const mutation = fc.record({
  seed: fc.nat(SEEDS.length - 1),
  kind: fc.constantFrom("swap", "remove", "rename", "typo", "huge", "bytes", "deep", "cut", "json"),
  pick: fc.nat(),
  value: fc.jsonValue({ maxDepth: 2 }),
  name: fc.string({ maxLength: 12 }),
  byte: fc.integer({ min: 0x80, max: 0xff }),
  depth: fc.integer({ min: 20, max: 3000 }),
  count: fc.integer({ min: 1, max: 3 }),
});

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function typo(word: string, pick: number): string {
  if (word.length < 2) return `${word}x`;
  const i = pick % (word.length - 1);
  return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
}

/** The mutated spec as bytes. */
function mutate(m: Mutation): Uint8Array {
  const root = structuredClone(SEEDS[m.seed]) as Json;
  let text: string | undefined;
  for (let n = 0; n < m.count; n++) {
    const all = paths(root).slice(1);
    const path = all[(m.pick + n * 7919) % all.length];
    const parent = parentOf(root, path) as Record<string | number, Json>;
    const key = path[path.length - 1];
    switch (m.kind) {
      case "swap":
        parent[key] = structuredClone(m.value) as Json;
        break;
      case "remove":
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      case "rename":
      case "typo":
        if (!Array.isArray(parent)) {
          const v = parent[key]!;
          delete parent[key];
          parent[m.kind === "rename" ? m.name : typo(String(key), m.pick)] = v;
        } else if (typeof parent[key] === "string") {
          parent[key] = typo(parent[key], m.pick);
        }
        break;
      case "huge":
        parent[key] = HUGE[m.pick % HUGE.length]!;
        break;
      case "deep":
        parent[key] = DEEP;
        break;
      default:
        break;
    }
  }
  text = m.kind === "json" ? JSON.stringify(root, null, 2) : stringify(root);
  if (m.kind === "huge" && m.pick % 3 === 0)
    text = text.replace(/: \d+$/m, ": 99999999999999999999999999e999");
  if (m.kind === "deep") text = text.replace(DEEP, `${"[".repeat(m.depth)}${"]".repeat(m.depth)}`);
  if (m.kind === "cut") text = text.slice(0, m.pick % Math.max(1, text.length));
  const bytes = Buffer.from(text, "utf8");
  if (m.kind === "bytes") {
    const at = m.pick % Math.max(1, bytes.length);
    return Buffer.concat([bytes.subarray(0, at), Buffer.from([m.byte]), bytes.subarray(at)]);
  }
  return bytes;
}

function checkOutcome(label: string, r: { code: number; stdout: string; stderr: string }): void {
  expect([0, 1], label).toContain(r.code);
  if (r.code === 1) {
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.length, label).toBeGreaterThan(0);
    for (const line of lines) expect(line, label).toMatch(ERROR_LINE);
  } else {
    expect(r.stderr, label).toBe("");
  }
}

describe("fuzzed specs", () => {
  it("never crash or hang validate and plan, and always explain a failure", async () => {
    let valid = 0;
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const input = mutate(m);
        const v = await run(["validate", "-"], { stdin: input });
        checkOutcome(`validate ${JSON.stringify(m)}`, v);
        // `plan` reads the spec exactly as `validate` does: run it on every valid spec and a sample of the rest.
        if (v.code === 1 && invalid++ % 10 !== 0) return;
        const p = await run(["plan", "-", "--format", "json"], { stdin: input });
        checkOutcome(`plan ${JSON.stringify(m)}`, p);
        if (v.code === 0) {
          valid++;
          const result = JSON.parse(p.stdout) as PlanResult;
          expect(result.ok).toBe(p.code === 0);
          // What the CLI planned is sound, and planning again from its ledger changes nothing.
          const spec = checkSpec(input).spec!;
          expect(checkInvariants(spec, result)).toEqual([]);
          if (result.ok) expect(plan(spec, { previous: result.ledger }).changes).toEqual([]);
        } else {
          expect(p.code).toBe(1);
        }
      }),
      { numRuns: 1000, seed: 20261124 },
    );
    // The mutations must exercise both outcomes, or the fuzz proves little.
    expect(valid).toBeGreaterThan(50);
    expect(invalid).toBeGreaterThan(500);
  }, 600_000);

  it("never crash the real binary either", async () => {
    const samples = fc.sample(mutation, { numRuns: 8, seed: 7 });
    for (const m of samples) {
      const r = await execa(process.execPath, [join(ROOT, "bin", "servicevm.js"), "validate", "-"], {
        input: Buffer.from(mutate(m)),
        reject: false,
        stripFinalNewline: false,
      });
      checkOutcome(`subprocess ${JSON.stringify(m)}`, {
        code: r.exitCode ?? -1,
        stdout: r.stdout,
        stderr: r.stderr,
      });
    }
  }, 120_000);
});
