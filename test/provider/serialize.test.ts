/**
 * Both dynamic providers go through Pulumi's own closure serializer, the way
 * `pulumi.dynamic.Resource` stores them in `__provider`, and are evaluated back the way the
 * dynamic-provider host does it (`require-from-string`, then `.handler()`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { applianceProvider } from "../../provider/appliance";
import { ledgerProvider } from "../../provider/ledger";
import * as ledgerImpl from "../../provider/ledgerImpl";
import type { FleetSpec } from "../../core/types";
import { loadSerializedProvider } from "../harness/engine";
import { FakeProbe, requireFor } from "../harness/fixtures";

const requireFromString = require("require-from-string") as (
  code: string,
  filename?: string,
) => { handler: () => Record<string, (...a: unknown[]) => unknown> };

/** Serializes a provider object exactly as `dynamic/index.js` `serializeFunctionMaybeSecret` does. */
async function serialize(provider: pulumi.dynamic.ResourceProvider) {
  return pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
}

function requiresIn(text: string): string[] {
  return [...new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort();
}

const spec: FleetSpec = {
  templates: { box: { driver: "docker", capacity: { CUSTOM_SERVICE_SLOT: 4 }, docker: {} as never } },
  pools: { box: { template: "box", standby: 1 } },
  allocations: { a: { tenant: "t1", demand: { CUSTOM_SERVICE_SLOT: 2 } } },
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "servicevm-serialize-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("dynamic providers through the closure serializer", () => {
  it("serializes the Ledger provider to a thin closure that only requires the package's own module", async () => {
    const sf = await serialize(ledgerProvider);
    expect(sf.exportName).toBe("handler");
    expect(sf.containsSecrets).toBe(false);
    expect(requiresIn(sf.text)).toEqual(["servicevm/dist/provider/ledgerImpl.js"]);
    expect(sf.text).not.toContain("__vite_ssr");
    expect(sf.text.length).toBeLessThan(4000);
  });

  it("serializes the ApplianceRegistration provider the same way", async () => {
    const sf = await serialize(applianceProvider);
    expect(sf.containsSecrets).toBe(false);
    expect(requiresIn(sf.text)).toEqual(["servicevm/dist/provider/applianceImpl.js"]);
    expect(sf.text.length).toBeLessThan(4000);
  });

  it("runs check, create and diff of the deserialized Ledger provider exactly like the module", async () => {
    const sf = await serialize(ledgerProvider);
    const provider = loadSerializedProvider(sf.text, requireFor(new FakeProbe()));
    const checked = await provider.check!({}, { spec, health: {} });
    expect(checked).toEqual(await ledgerImpl.check({}, { spec, health: {} }));
    const created = await provider.create(checked.inputs!);
    expect(created.id).toBe("ledger");
    expect(created.outs).toEqual(checked.inputs);
    expect(
      await provider.diff!("ledger", created.outs!, { ...checked.inputs!, __provider: sf.text }),
    ).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("runs check and create of the deserialized ApplianceRegistration provider", async () => {
    const sf = await serialize(applianceProvider);
    const probe = new FakeProbe();
    const provider = loadSerializedProvider(sf.text, requireFor(probe));
    const inputs = {
      fleet: "dc",
      pool: "edge",
      device: "fw1",
      managementUrl: "https://fw1.test/health",
      timeoutMs: 100,
    };
    expect(await provider.check!({}, inputs)).toEqual({ inputs, failures: [] });
    expect(await provider.create(inputs)).toEqual({
      id: "dc/fw1",
      outs: {
        ...inputs,
        reachable: true,
        healthy: true,
        latencyMs: 7,
        lastSeen: "2026-01-02T03:04:05.000Z",
        status: "HTTP 200",
      },
    });
    expect(probe.requests.map((r) => r.url)).toEqual(["https://fw1.test/health"]);
  });

  it("resolves `servicevm/dist/...` through the package's exports map from an installed copy, as the provider host does", async () => {
    // The host evaluates the text with require-from-string; module lookup starts at the program's
    // directory, so an app with servicevm in node_modules resolves it via package.json `exports`.
    const app = path.join(tmp, "app");
    const pkg = path.join(app, "node_modules", "servicevm");
    fs.mkdirSync(path.join(pkg, "dist", "provider"), { recursive: true });
    fs.copyFileSync(path.join(__dirname, "..", "..", "package.json"), path.join(pkg, "package.json"));
    fs.writeFileSync(
      path.join(pkg, "dist", "provider", "ledgerImpl.js"),
      "exports.check = async (olds, news) => ({ inputs: { resolved: 'installed copy', news } });\n",
    );
    const sf = await serialize(ledgerProvider);
    const provider = requireFromString(sf.text, path.join(app, "index.js")).handler();
    expect(await provider.check({}, { x: 1 })).toEqual({
      inputs: { resolved: "installed copy", news: { x: 1 } },
    });
  });

  it("maps every specifier the providers require to a compiled source file of this package", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as {
      name: string;
      exports: Record<string, unknown>;
    };
    const specifiers = [
      ...requiresIn((await serialize(ledgerProvider)).text),
      ...requiresIn((await serialize(applianceProvider)).text),
    ];
    const sources = specifiers.map((s) => {
      expect(s.startsWith(`${pkg.name}/`)).toBe(true);
      // Each is its own entry of the exports map (no wildcard): the serialized providers stored in
      // existing stacks' state require exactly these paths, so they stay exported for good.
      const subpath = `./${s.slice(pkg.name.length + 1)}`;
      expect(pkg.exports[subpath]).toBe(subpath);
      return subpath.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts");
    });
    expect(sources).toEqual(["provider/ledgerImpl.ts", "provider/applianceImpl.ts"]);
    for (const s of sources) expect(fs.existsSync(path.join(__dirname, "..", "..", s))).toBe(true);
  });
});
