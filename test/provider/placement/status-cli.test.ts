/**
 * `servicevm placement status` end to end: the CLI in-process against a real Placement
 * (test/provider/placement/server.ts), in sync, with drift, unreachable and refusing.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../../cli/context";
import { main } from "../../../cli/main";
import { syncFleet } from "../../../provider/placement/sync";
import { planOk, usePlacementServer } from "./helpers";
import { freePort, PLACEMENT_TOKEN } from "./server";

const server = usePlacementServer();
let dir: string;

/** Fleet `edge`: two docker firewalls, two tenants, the Placement backend at `endpoint`. */
function specText(endpoint: string, extra = ""): string {
  return `templates:
  fw:
    driver: docker
    capacity: { CUSTOM_SERVICE_SLOT: 4 }
    traits: [CUSTOM_FW]
    docker: { image: "vyos:1.4" }
pools:
  fw: { template: fw, size: 2 }
allocations:
  t1-fw: { tenant: t1, demand: { CUSTOM_SERVICE_SLOT: 3 } }
  t2-fw: { tenant: t2, demand: { CUSTOM_SERVICE_SLOT: 2 } }
${extra}backend: { kind: placement, endpoint: "${endpoint}" }
`;
}

function writeSpec(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], stderrTTY = false): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: stderrTTY },
    stdin: Readable.from([]),
    env: {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "svm-status-cli-"));
  const { parseSpec } = await import("../../../schema/loader");
  const spec = parseSpec(specText(server.url));
  await syncFleet(server.client().client, { fleet: "edge", spec, result: planOk(spec) });
});

const IN_SYNC = `fleet edge: Placement is in sync with the spec
providers: 2 ok, 0 missing, 0 different, 0 extra
allocations: 2 ok, 0 missing, 0 different, 0 extra
foreign usage: 0 consumer allocation(s) on this fleet's devices
`;

describe("servicevm placement status", () => {
  it("exits 0 and prints the status when Placement holds what the spec says", async () => {
    const file = writeSpec("edge.yaml", specText(server.url));
    const r = await run(["placement", "status", file, "--token", PLACEMENT_TOKEN]);
    expect(r).toEqual({ code: 0, stdout: IN_SYNC, stderr: "" });
  });

  it("takes the fleet from --fleet and the endpoint from --endpoint over the spec's", async () => {
    const file = writeSpec("other-name.yaml", specText("http://127.0.0.1:9"));
    const r = await run([
      "placement",
      "status",
      file,
      "--fleet",
      "edge",
      "--endpoint",
      server.url,
      "--token",
      PLACEMENT_TOKEN,
    ]);
    expect(r).toEqual({ code: 0, stdout: IN_SYNC, stderr: "" });
  });

  it("exits 1 and names every difference when the spec has drifted from Placement", async () => {
    const file = writeSpec(
      "edge.yaml",
      specText(server.url)
        .replace("size: 2", "size: 3")
        .replace(
          "t2-fw: { tenant: t2, demand: { CUSTOM_SERVICE_SLOT: 2 } }",
          "t2-fw: { tenant: t2, demand: { CUSTOM_SERVICE_SLOT: 1 } }\n  t3-fw: { tenant: t3, demand: { CUSTOM_SERVICE_SLOT: 4 } }",
        ),
    );
    const r = await run(["placement", "status", file, "--token", PLACEMENT_TOKEN]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`fleet edge: Placement differs from the spec
providers: 2 ok, 1 missing, 0 different, 0 extra
  missing provider for device fw-2
allocations: 0 ok, 1 missing, 2 different, 0 extra
  missing allocation t3-fw
  allocation t1-fw: expected fw-1 3 CUSTOM_SERVICE_SLOT, Placement has fw-0 3 CUSTOM_SERVICE_SLOT
  allocation t2-fw: expected fw-2 1 CUSTOM_SERVICE_SLOT, Placement has fw-1 2 CUSTOM_SERVICE_SLOT
foreign usage: 0 consumer allocation(s) on this fleet's devices
`);
  });

  it("prints the report as JSON with sorted keys", async () => {
    const file = writeSpec("edge.yaml", specText(server.url));
    const r = await run(["placement", "status", file, "--token", PLACEMENT_TOKEN, "--format", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      consumers: { drift: [], extra: [], missing: [], ok: 2 },
      fleet: "edge",
      foreign: [],
      inSync: true,
      providers: { drift: [], extra: [], missing: [], ok: 2 },
    });
    expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual([
      "consumers",
      "fleet",
      "foreign",
      "inSync",
      "providers",
    ]);
  });

  it("writes progress lines on stderr with --progress, and rewrites one line on a terminal", async () => {
    const file = writeSpec("edge.yaml", specText(server.url));
    const logged = await run(["placement", "status", file, "--token", PLACEMENT_TOKEN, "--progress"]);
    expect(logged.code).toBe(0);
    expect(logged.stderr).toBe("reading providers 0/2\nreading providers 1/2\nreading providers 2/2\n");
    const tty = await run(["placement", "status", file, "--token", PLACEMENT_TOKEN], true);
    expect(tty.stderr).toBe("\rreading providers 0/2\rreading providers 1/2\rreading providers 2/2\n");
    const quiet = await run(["placement", "status", file, "--token", PLACEMENT_TOKEN]);
    expect(quiet.stderr).toBe("");
  });

  it("exits 1 with one line naming the endpoint and the fix when Placement is unreachable", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const file = writeSpec("edge.yaml", specText(url));
    const r = await run(["placement", "status", file, "--token", "s3cret-token"]);
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: `servicevm: cannot reach Placement at ${url} (connection refused, 4 attempts): check \`--endpoint\` (or \`backend.endpoint\` in the spec) and that Placement is running there\n`,
    });
  });

  it("exits 1 when Placement refuses the token, and never prints the token", async () => {
    const file = writeSpec("edge.yaml", specText(server.url));
    const r = await run(["placement", "status", file, "--token", "s3cret-token"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    // noauth2 takes any token, as user `s3cret-token` without the admin role: Placement's policy refuses.
    expect(r.stderr).toBe(
      `servicevm: Placement at ${server.url} refused to report: \`GET /resource_providers\`: ` +
        "forbidden by Placement's policy (its default policy wants the `admin` role on the token's project): " +
        "Policy does not allow placement:resource_providers:list to be performed. " +
        `(403, placement.undefined_code, request ${/request (req-[0-9a-f-]+)/.exec(r.stderr)?.[1]}, 1 attempt)\n`,
    );
    expect(r.stderr).not.toContain("s3cret-token");
  });

  it.each([
    [
      ["placement", "status", "edge.yaml", "--format", "yaml"],
      "error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are text, json.",
    ],
    [
      ["placement", "status", "-", "--token", "x"],
      "servicevm: cannot tell the fleet's name from `<stdin>`: pass `--fleet <name>` (the Ledger's `fleet`)",
    ],
    [
      ["placement", "status", "edge.yaml", "--fleet", "Edge_1"],
      "servicevm: `--fleet Edge_1` is not a fleet name (a lower-case letter, then up to 62 lower-case letters, digits or `-`): pass the Ledger's `fleet`",
    ],
  ])("exits 2 on a usage error: %j", async (argv, first) => {
    const r = await run(
      argv.map((a) => (a === "edge.yaml" ? writeSpec("edge.yaml", specText(server.url)) : a)),
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")[0]).toBe(first);
  });

  it("exits 2 when a token comes without an endpoint", async () => {
    const file = writeSpec("edge.yaml", specText(server.url).replace(/backend: .*\n/, ""));
    const r = await run(["placement", "status", file, "--token", "s3cret-token"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "servicevm: `--token` needs the Placement URL: pass `--endpoint <url>` or set `backend.endpoint` in the spec\n",
    });
  });

  it("exits 1 on an invalid spec before asking Placement", async () => {
    const file = writeSpec("edge.yaml", specText(server.url).replace("size: 2", "size: -1"));
    const r = await run(["placement", "status", file, "--token", PLACEMENT_TOKEN]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${file}:8:29: pools.fw.size: must be at least 0, not \`-1\`: use 0 or more\n`);
  });
});
