import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec, loadSpec, parseSpec } from "../../schema/loader";
import { formatIssue, SpecError } from "../../schema/errors";
import { BASE, edit, problems } from "./helpers";

const EXAMPLES = ["nfv-edge", "docker-lab", "physical-appliances", "mixed"];

describe("schema errors through the loader", () => {
  it.each([
    [
      "an unknown field, with the closest known one",
      ["    max: 4\n", "    max: 4\n    standbye: 2\n"],
      ["fleet.yaml:16:5: pools.fw.standbye: unknown field `standbye`: did you mean `standby`?"],
    ],
    [
      "a string where a number belongs",
      ["    max: 4\n", '    max: "4"\n'],
      ["fleet.yaml:15:10: pools.fw.max: must be a whole number, not the string `4`: remove the quotes"],
    ],
    [
      "a huge number, quoted as written",
      ["    max: 4\n", "    max: 99999999999999999999\n"],
      [
        "fleet.yaml:15:10: pools.fw.max: must be at most 10000, not `99999999999999999999`: use 10000 or less",
      ],
    ],
    [
      "a number too large to be a number",
      ["      CUSTOM_SERVICE_SLOT: 8\n", "      CUSTOM_SERVICE_SLOT: 1e400\n"],
      [
        "fleet.yaml:6:28: templates.fw.capacity.CUSTOM_SERVICE_SLOT: must be a whole number or a mapping, not the number `1e400`, which is too large to be a number: write it like `8`",
      ],
    ],
    [
      "a total above Placement's largest integer",
      ["      CUSTOM_SERVICE_SLOT: 8\n", "      CUSTOM_SERVICE_SLOT: { total: 2147483648 }\n"],
      [
        "fleet.yaml:6:37: templates.fw.capacity.CUSTOM_SERVICE_SLOT.total: must be at most 2147483647 (Placement's largest integer), not `2147483648`: use 2147483647 or less",
      ],
    ],
    [
      "a missing required field, with an example",
      ["    tenant: t1\n", ""],
      ["fleet.yaml:23:3: allocations.a: missing required field `tenant`: add `tenant: tenant-a`"],
    ],
    [
      "a name that breaks the naming rule, with a fixed one",
      ["  fw:\n    template: fw\n", "  Fw_Pool:\n    template: fw\n"],
      [
        "fleet.yaml:13:3: pools.Fw_Pool: the key `Fw_Pool` is not a valid name: names are a lower-case letter, then up to 62 lower-case letters, digits or `-`: use `fw-pool`",
      ],
    ],
    [
      "an enum value with the closest allowed one",
      ["    max: 4\n", "    max: 4\n    strategy: packed\n"],
      [
        "fleet.yaml:16:15: pools.fw.strategy: must be one of `pack`, `spread`, not `packed`: did you mean `pack`?",
      ],
    ],
    [
      "an image given two ways",
      ["{ name: vyos }", "{ id: abc, name: vyos }"],
      [
        "fleet.yaml:8:18: templates.fw.openstack.image: has `id` and `name`, which do not make one of `{ name }`, `{ id }` or `{ source, diskFormat, containerFormat }`: keep the fields of exactly one",
      ],
    ],
    [
      "an image that is a bare string",
      ["{ name: vyos }", "vyos"],
      [
        "fleet.yaml:8:25: templates.fw.openstack.image: must be a mapping, one of `{ name }`, `{ id }` or `{ source, diskFormat, containerFormat }`; not the string `vyos`",
      ],
    ],
    [
      "a misspelt field of an image",
      ["{ name: vyos }", "{ nme: vyos }"],
      ["fleet.yaml:8:27: templates.fw.openstack.image.nme: unknown field `nme`: did you mean `name`?"],
    ],
    [
      "a shared tenancy without contexts",
      ["isolation: vrf, contexts: { first: 1, last: 8 } }", "isolation: vrf }"],
      [
        "fleet.yaml:7:5: templates.fw.tenancy: missing required field `contexts`: add `contexts: { first: 100, last: 199 }`",
      ],
    ],
    [
      "a dedicated tenancy with shared fields",
      [
        "{ mode: shared, isolation: vrf, contexts: { first: 1, last: 8 } }",
        "{ mode: dedicated, isolation: vrf }",
      ],
      [
        "fleet.yaml:7:33: templates.fw.tenancy.isolation: unknown field `isolation`: the fields here are `mode`",
      ],
    ],
    [
      "a misspelt tenancy mode",
      ["mode: shared", "mode: sharde"],
      [
        "fleet.yaml:7:22: templates.fw.tenancy.mode: must be one of `dedicated`, `shared`, not `sharde`: did you mean `shared`?",
      ],
    ],
    [
      "a resource class in lower case and a fractional amount",
      ["    demand: { CUSTOM_SERVICE_SLOT: 1 }\n", "    demand: { custom_slot: 1.5 }\n"],
      [
        "fleet.yaml:26:15: allocations.a.demand.custom_slot: the key `custom_slot` is not a Placement resource class: use a standard name like `VCPU` or `CUSTOM_` followed by upper-case letters, digits or `_`, like `CUSTOM_SLOT`",
        "fleet.yaml:26:28: allocations.a.demand.custom_slot: must be a whole number, not the number `1.5`: write it like `2`",
      ],
    ],
    [
      "an empty demand",
      ["    demand: { CUSTOM_SERVICE_SLOT: 1 }\n", "    demand: {}\n"],
      [
        "fleet.yaml:26:13: allocations.a.demand: must not be empty: add at least one entry, like `{ CUSTOM_SERVICE_SLOT: 2, CUSTOM_THROUGHPUT_MBPS: 2000 }`",
      ],
    ],
    [
      "a non-empty physical block",
      ["  box:\n", "  box:\n    physical: { rack: 1 }\n"],
      ["fleet.yaml:10:5: templates.box.physical: must be empty (`{}`), but has `rack`: remove it"],
    ],
    [
      "a zone listed twice",
      ["    zones: [az1]\n", "    zones: [az1, az1]\n"],
      ["fleet.yaml:16:18: pools.fw.zones[1]: lists `az1` twice (items 0 and 1): remove one"],
    ],
    [
      "a management URL that is not HTTP",
      ["        zone: az2\n", "        zone: az2\n        management: { url: ftp://192.0.2.1 }\n"],
      [
        "fleet.yaml:22:28: pools.edge.devices[0].management.url: `ftp://192.0.2.1` is not an http:// or https:// URL: write the full URL, like `https://192.0.2.10/health`",
      ],
    ],
    [
      "a password where a config key belongs",
      [
        "        zone: az2\n",
        '        zone: az2\n        credentials: { username: admin, passwordConfig: "s3cret!" }\n',
      ],
      [
        "fleet.yaml:22:57: pools.edge.devices[0].credentials.passwordConfig: `s3cret!` is not a Pulumi config key: give the name of the secret config value that holds the password (letters, digits, `_`, `.`, `:`, `-`), like `rack1Password`, never the password itself",
      ],
    ],
    [
      "a duplicate key",
      ["    tenant: t1\n", "    tenant: t1\n    tenant: t2\n"],
      [
        "fleet.yaml:25:5: allocations.a.tenant: duplicate key `tenant`: a key may appear once in a mapping: remove or rename one of them",
      ],
    ],
  ])("reports %s", (_name, [from, to], expected) => {
    expect(problems(edit(from, to))).toEqual(expected);
  });

  it("reports every problem at once, in text order, schema and semantic together", () => {
    const text = edit(
      "    template: fw\n",
      "    template: fw-lage\n",
      edit("    max: 4\n", "    max: -1\n    standbye: 2\n"),
    );
    expect(problems(text)).toEqual([
      "fleet.yaml:14:15: pools.fw.template: pool `fw` uses template `fw-lage`, which is not defined: defined templates: `box`, `fw`",
      "fleet.yaml:15:10: pools.fw.max: must be at least 0, not `-1`: use 0 or more",
      "fleet.yaml:16:5: pools.fw.standbye: unknown field `standbye`: did you mean `standby`?",
    ]);
  });

  it("drops a semantic error that repeats a schema error at the same place", () => {
    const text = edit(
      "      CUSTOM_SERVICE_SLOT: 8\n",
      "      CUSTOM_SERVICE_SLOT: { total: 8, reserved: -9, minUnit: 4, maxUnit: 2 }\n",
    );
    expect(problems(text)).toEqual([
      "fleet.yaml:6:50: templates.fw.capacity.CUSTOM_SERVICE_SLOT.reserved: must be at least 0, not `-9`: use 0 or more",
      "fleet.yaml:6:63: templates.fw.capacity.CUSTOM_SERVICE_SLOT.minUnit: template `fw` has `minUnit: 4` above `maxUnit: 2` for `CUSTOM_SERVICE_SLOT`, so no amount fits: lower `minUnit` or raise `maxUnit`",
    ]);
  });
});

describe("text that is not a clean YAML document", () => {
  it("points at the first byte that is not UTF-8", () => {
    expect(problems(Buffer.from("templates:\n  fw:\n    driver: op\xe9nstack\n", "latin1"))).toEqual([
      "fleet.yaml:3:15: byte 0xe9 at offset 31 is not valid UTF-8; fleet specs are UTF-8 text: save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
    ]);
  });

  it("recognises UTF-16", () => {
    expect(problems(Buffer.from([0xff, 0xfe, 0x74, 0x00]))).toEqual([
      "fleet.yaml:1:1: the file is UTF-16 (it starts with a UTF-16 byte order mark); fleet specs are UTF-8: save it as UTF-8",
    ]);
  });

  it("skips a UTF-8 byte order mark and keeps positions", () => {
    const text = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(edit("    max: 4\n", "    max: 4\n    standbye: 2\n")),
    ]);
    expect(problems(text)).toEqual([
      "fleet.yaml:16:5: pools.fw.standbye: unknown field `standbye`: did you mean `standby`?",
    ]);
  });

  it("reports deep nesting instead of overflowing the stack", () => {
    const lines = problems(`templates: ${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^fleet\.yaml:1:\d+: templates(\[0\])+: the spec is nested too deeply to parse \(Maximum call stack size exceeded\); a fleet spec is only a few levels deep: look for runaway brackets or indentation$/,
    );
  });

  it("refuses alias bombs", () => {
    const bomb =
      "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
    expect(problems(bomb)).toEqual([
      "fleet.yaml:1:1: the spec expands YAML aliases (`*name`) more than 100 times, which looks like a resource exhaustion attack: write the values out instead",
    ]);
  });

  it.each([
    [
      "an empty file",
      "",
      [
        "fleet.yaml:1:1: the spec is empty: a fleet needs `templates` and `pools`, e.g. `templates: {}` and `pools: {}`",
      ],
    ],
    [
      "a list",
      "- 1\n- 2\n",
      ["fleet.yaml:1:1: the spec must be a mapping with `templates` and `pools`, not a list"],
    ],
    [
      "two documents",
      "templates: {}\npools: {}\n---\ntemplates: {}\n",
      [
        "fleet.yaml:3:1: the file holds more than one YAML document (a `---` line): a fleet spec is one document: remove the `---` and what follows, or split the file",
      ],
    ],
    [
      "tab indentation",
      "templates:\n\tfw: {}\n",
      ["fleet.yaml:2:1: YAML syntax error: Tabs are not allowed as indentation"],
    ],
    [
      "an unknown tag",
      "templates: {}\npools: {}\nbackend: !custom 1\n",
      ["fleet.yaml:3:10: backend: YAML warning: Unresolved tag: !custom"],
    ],
  ])("reports %s", (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it("reads JSON with positions", () => {
    const json = '{\n  "templates": {},\n  "pools": { "fw": { "template": "fw", "standbye": 1 } }\n}\n';
    expect(problems(json, "fleet.json")).toEqual([
      "fleet.json:3:34: pools.fw.template: pool `fw` uses template `fw`, which is not defined: no template is defined yet",
      "fleet.json:3:40: pools.fw.standbye: unknown field `standbye`: did you mean `standby`?",
    ]);
  });
});

describe("checkSpec with objects", () => {
  it("returns a plain copy without undefined fields", () => {
    const input = { templates: {}, pools: {}, allocations: undefined, backend: { kind: "state" as const } };
    const result = checkSpec(input, "index.ts");
    expect(result.errors).toEqual([]);
    expect(result.spec).toEqual({ templates: {}, pools: {}, backend: { kind: "state" } });
    expect(result.spec).not.toBe(input);
  });

  it("reports errors without positions", () => {
    const result = checkSpec({ templates: {}, pools: { fw: { template: "fw", standbye: 1 } } }, "index.ts");
    expect(result.errors.map(formatIssue)).toEqual([
      "index.ts: pools.fw.standbye: unknown field `standbye`: did you mean `standby`?",
      "index.ts: pools.fw.template: pool `fw` uses template `fw`, which is not defined: no template is defined yet",
    ]);
  });

  it("reports class instances such as Pulumi Outputs", () => {
    class Output {
      value = "x";
    }
    const result = checkSpec(
      { templates: {}, pools: {}, allocations: { a: { tenant: new Output(), demand: { VCPU: 1 } } } },
      "index.ts",
    );
    expect(result.errors.map(formatIssue)).toEqual([
      "index.ts: allocations.a.tenant: must be plain data, not a `Output` instance (a Pulumi Output or class object?): pass plain values",
    ]);
  });

  it("reports cycles", () => {
    const pools: Record<string, unknown> = {};
    pools.self = pools;
    expect(checkSpec({ templates: {}, pools }, "index.ts").errors.map(formatIssue)).toEqual([
      "index.ts: pools.self: refers back to itself (a cycle): pass a tree of plain values",
    ]);
  });
});

describe("specs with very many errors", () => {
  it("reports all 150,000 errors of 75,000 broken allocations", () => {
    const allocations: Record<string, unknown> = {};
    for (let i = 0; i < 75_000; i++) allocations[`a-${i}`] = { tenantt: "t", demand: { VCPU: 1 } };
    const errors = checkSpec({ templates: {}, pools: {}, allocations }, "big.json").errors;
    expect(errors).toHaveLength(150_000);
    expect(errors.slice(0, 2).map(formatIssue)).toEqual([
      "big.json: allocations.a-0: missing required field `tenant`: add `tenant: tenant-a`",
      "big.json: allocations.a-0.tenantt: unknown field `tenantt`: did you mean `tenant`?",
    ]);
  }, 120_000);
});

describe("parseSpec and loadSpec", () => {
  it.each(EXAMPLES)("loads examples/%s/fleet.yaml", (name) => {
    const spec = loadSpec(join(__dirname, "../../examples", name, "fleet.yaml"));
    expect(Object.keys(spec.templates).length).toBeGreaterThan(0);
    expect(Object.keys(spec.allocations ?? {}).length).toBeGreaterThan(0);
  });

  it("throws a SpecError listing every problem", () => {
    let caught: unknown;
    try {
      parseSpec(edit("    max: 4\n", "    max: 4\n    standbye: 2\n    strategy: packed\n"), "fleet.yaml");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SpecError);
    const err = caught as SpecError;
    expect(err.errors.map((e) => [e.path, e.line, e.col])).toEqual([
      ["pools.fw.standbye", 16, 5],
      ["pools.fw.strategy", 17, 15],
    ]);
    expect(err.message).toBe(
      "2 errors in fleet spec:\nfleet.yaml:16:5: pools.fw.standbye: unknown field `standbye`: did you mean `standby`?\nfleet.yaml:17:15: pools.fw.strategy: must be one of `pack`, `spread`, not `packed`: did you mean `pack`?",
    );
  });

  it("returns the spec as data", () => {
    expect(parseSpec(BASE).pools.fw).toEqual({ template: "fw", max: 4, zones: ["az1"] });
  });

  it("reports a file that cannot be read", () => {
    const dir = mkdtempSync(join(tmpdir(), "svm-"));
    expect(() => loadSpec(join(dir, "missing.yaml"))).toThrow(SpecError);
    writeFileSync(join(dir, "bad.yaml"), Buffer.from([0x70, 0x6f, 0x6f, 0x6c, 0x73, 0x3a, 0xc3]));
    try {
      loadSpec(join(dir, "bad.yaml"));
      expect.unreachable();
    } catch (e) {
      expect((e as SpecError).errors.map(formatIssue)).toEqual([
        `${join(dir, "bad.yaml")}:1:7: byte 0xc3 at offset 6 is not valid UTF-8; fleet specs are UTF-8 text: save the file as UTF-8 (e.g. \`iconv -f latin1 -t utf-8\`)`,
      ]);
    }
  });

  it("places plan paths in the text", () => {
    const result = checkSpec(BASE, "fleet.yaml");
    expect(result.position("allocations.a.demand.CUSTOM_SERVICE_SLOT")).toEqual({ line: 26, col: 36 });
    expect(result.position("pools.edge")).toEqual({ line: 17, col: 3 });
    expect(result.position("pools.nope.max")).toEqual({ line: 12, col: 1 });
  });
});
