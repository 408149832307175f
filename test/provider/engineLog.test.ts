/**
 * Provider warnings reach the engine's `Log` with the resource's URN: in a process whose runtime
 * has an engine, and in the real nodejs dynamic-provider host, which only gets the engine's address
 * as its argument. The engine is `FakeEngine` (a real gRPC `pulumirpc.Engine`); how the Pulumi CLI
 * prints a log is not modelled.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digest } from "../../core/sources";
import type { FleetSpec } from "../../core/types";
import { engineWarn, hostEngineAddress } from "../../provider/engineLog";
import { ledgerProvider } from "../../provider/ledger";
import { makeLedgerMethods } from "../../provider/ledgerImpl";
import { UNKNOWN } from "../../provider/ledgerInputs";
import { ensureBuilt } from "../cli/built";
import { FakeEngine } from "../harness/fakeEngine";

const ROOT = path.join(__dirname, "..", "..");
const HOST = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider");

describe("hostEngineAddress", () => {
  it.each<[string, string[], string | undefined]>([
    ["the host started with the engine's address", ["node", HOST, "127.0.0.1:43211"], "127.0.0.1:43211"],
    ["the host's index.js", ["node", `${HOST}/index.js`, "127.0.0.1:43211"], "127.0.0.1:43211"],
    [
      "Pulumi's logging flags around the address",
      ["node", HOST, "--logtostderr", "-v=9", "127.0.0.1:43211", "--logflow"],
      "127.0.0.1:43211",
    ],
    [
      "a tracing endpoint before the address",
      ["node", HOST, "--tracing", "127.0.0.1:9411", "127.0.0.1:43211"],
      "127.0.0.1:43211",
    ],
    ["an IPv6 loopback address", ["node", HOST, "[::1]:43211"], "[::1]:43211"],
    ["another program", ["node", "/app/index.js", "127.0.0.1:43211"], undefined],
    ["the host without an address", ["node", HOST, "--logtostderr"], undefined],
    ["no arguments", ["node"], undefined],
  ])("reads %s", (_name, argv, expected) => {
    expect(hostEngineAddress(argv)).toBe(expected);
  });
});

describe("engineWarn", () => {
  let engine: FakeEngine;
  beforeAll(async () => {
    engine = await FakeEngine.start();
  });
  afterAll(() => engine.stop());

  it("sends a warning with the URN to the engine the runtime knows (mock runtime given the fake engine's address)", async () => {
    await pulumi.runtime.setMocks(
      { newResource: () => ({ id: "", state: {} }), call: () => ({}) },
      "p",
      "s",
      true,
    );
    const store = (
      require("@pulumi/pulumi/runtime/state") as {
        getStore(): { settings: { options: { engineAddr?: string } } };
      }
    ).getStore();
    store.settings.options.engineAddr = engine.address;
    try {
      await engineWarn("urn:pulumi:s::p::t::n", "device `fw-0` (pool `fw`) will be replaced");
    } finally {
      // Forget the address and the runtime's client to it.
      store.settings.options.engineAddr = "";
      await pulumi.runtime.setMocks(
        { newResource: () => ({ id: "", state: {} }), call: () => ({}) },
        "p",
        "s",
        true,
      );
    }
    expect(engine.logs).toEqual([
      {
        severity: "warning",
        urn: "urn:pulumi:s::p::t::n",
        message: "device `fw-0` (pool `fw`) will be replaced",
      },
    ]);
  });
});

/** A Check RPC to a provider host; resolves with the checked inputs. */
type CheckCall = (
  urn: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
) => Promise<Record<string, unknown>>;

const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));
const grpc = sdkRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const providerGrpc = require("@pulumi/pulumi/proto/provider_grpc_pb") as {
  ResourceProviderClient: new (
    address: string,
    credentials: unknown,
  ) => {
    check(
      req: unknown,
      callback: (err: Error | null, resp?: { getInputs(): { toJavaScript(): unknown } }) => void,
    ): void;
    close(): void;
  };
};
const providerProto = require("@pulumi/pulumi/proto/provider_pb") as {
  CheckRequest: new () => {
    setUrn(u: string): void;
    setOlds(s: unknown): void;
    setNews(s: unknown): void;
    setName(n: string): void;
    setType(t: string): void;
  };
};
const structProto = sdkRequire("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(v: Record<string, unknown>): unknown };
};

/**
 * The real nodejs dynamic-provider host of the installed SDK, started as Pulumi starts it (the
 * engine's address as its argument), in an app directory where `servicevm` is installed (a link to
 * this checkout, whose `dist/` the serialized provider loads).
 */
describe("the Ledger in the real dynamic-provider host", () => {
  let engine: FakeEngine;
  let host: ChildProcess;
  let client: InstanceType<typeof providerGrpc.ResourceProviderClient>;
  let app: string;
  let providerText: string;
  let call: CheckCall;

  beforeAll(async () => {
    ensureBuilt();
    engine = await FakeEngine.start();
    app = fs.mkdtempSync(path.join(os.tmpdir(), "servicevm-host-"));
    fs.mkdirSync(path.join(app, "node_modules"));
    fs.symlinkSync(ROOT, path.join(app, "node_modules", "servicevm"), "dir");
    providerText = (await pulumi.runtime.serializeFunction(() => ledgerProvider, { allowSecrets: true }))
      .text;
    host = spawn(process.execPath, [HOST, engine.address], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      host.stdout!.on("data", (b: Buffer) => {
        out += b.toString();
        const line = out.split("\n")[0].trim();
        if (out.includes("\n") && /^\d+$/.test(line)) resolve(line);
      });
      host.once("exit", (code) => reject(new Error(`the provider host exited with ${code}`)));
    });
    client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    call = (urn, olds, news) =>
      new Promise((resolve, reject) => {
        const req = new providerProto.CheckRequest();
        req.setUrn(urn);
        req.setName(urn.slice(urn.lastIndexOf("::") + 2));
        req.setType("pulumi-nodejs:dynamic/servicevm:Ledger");
        req.setOlds(structProto.Struct.fromJavaScript(olds));
        req.setNews(structProto.Struct.fromJavaScript({ ...news, __provider: providerText }));
        client.check(req, (err, resp) =>
          err ? reject(err) : resolve(resp!.getInputs().toJavaScript() as Record<string, unknown>),
        );
      });
  });

  afterAll(() => {
    client?.close();
    host?.kill();
    engine?.stop();
    if (app !== undefined) fs.rmSync(app, { recursive: true, force: true });
  });

  const URN =
    "urn:pulumi:stack::project::servicevm:index:Fleet$pulumi-nodejs:dynamic/servicevm:Ledger::lab-ledger";
  const lab: FleetSpec = {
    templates: {
      haproxy: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 4 },
        tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 4 } },
        docker: {} as never,
      },
    },
    pools: { lb: { template: "haproxy", size: 2 } },
    allocations: {
      "a-lb": { tenant: "alpha", demand: { CUSTOM_SERVICE_SLOT: 1 } },
      "b-lb": { tenant: "bravo", demand: { CUSTOM_SERVICE_SLOT: 1 } },
    },
  };
  const inputs = (image: string) => ({
    spec: lab,
    health: {},
    sources: { haproxy: { driver: digest("docker"), image } },
    resourceUrn: URN,
  });

  it("logs the preview's warnings on the Ledger's URN through the engine, as the module's check plans them", async () => {
    // The module in this process, for comparison; its own warnings are dropped.
    const { check } = makeLedgerMethods({
      connect: () => Promise.reject(new Error("no Placement with the state backend")),
      warn: () => Promise.resolve(),
    });
    const first = await check({}, inputs(digest("haproxy:2.9")));
    const olds = first.inputs as Record<string, unknown>;
    const before = engine.logs.length;

    const replaced = await call(URN, olds, inputs(digest("haproxy:3.0")));
    expect(replaced).toEqual({
      ...(await check(olds, inputs(digest("haproxy:3.0")))).inputs,
      __provider: providerText,
    });
    const unknown = await call(URN, olds, inputs(UNKNOWN));
    expect(unknown.ledger).toEqual(olds.ledger);
    const same = await call(URN, olds, inputs(digest("haproxy:2.9")));
    expect(same.ledger).toEqual(olds.ledger);

    expect(engine.logs.slice(before).filter((l) => l.severity !== "debug")).toEqual([
      {
        severity: "warning",
        urn: URN,
        message:
          "device `lb-0` (pool `lb`) will be replaced (image changed): it hosts `a-lb`, `b-lb` of tenants `alpha`, `bravo`",
      },
      {
        severity: "warning",
        urn: URN,
        message:
          "device `lb-0` (pool `lb`) may be replaced (image is not known until apply): it hosts `a-lb`, `b-lb` of tenants `alpha`, `bravo`",
      },
    ]);
  });
});
