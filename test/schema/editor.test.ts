/**
 * The fleet schema in an editor: the test runs the real yaml-language-server (the server behind
 * VS Code's YAML extension and the YAML support of most other editors) over LSP stdio, associates
 * `*.yaml` with `schema/fleet.schema.json` through the `yaml.schemas` setting, and checks what a
 * user sees in diagnostics, completion and hover. It proves yaml-language-server 1.x's behaviour
 * only; other schema clients (the JSON language service, JetBrains IDEs) are not run.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const SCHEMA = join(ROOT, "schema/fleet.schema.json");
const SERVER = join(ROOT, "node_modules/yaml-language-server/bin/yaml-language-server");
/** Every answer the test waits for must come within this; a slower server fails the test, naming the wait. */
const WAIT_MS = 10_000;

const YAML_SETTINGS = {
  schemas: { [pathToFileURL(SCHEMA).href]: ["*.yaml"] },
  validate: true,
  hover: true,
  completion: true,
  schemaStore: { enable: false }, // no catalogue download: the test needs no network
};

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}
interface Position {
  line: number;
  character: number;
}
interface Diagnostic {
  message: string;
  range: { start: Position };
}

/** A minimal LSP client: Content-Length framing on the server's stdio, and waits with deadlines. */
class LanguageClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private stderr = "";
  private failure: string | undefined;
  private readonly responses = new Map<number, Message>();
  private readonly diagnostics = new Map<string, Diagnostic[]>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly server: ChildProcessWithoutNullStreams) {
    server.stdout.on("data", (chunk: Buffer) => this.read(chunk));
    server.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-1000);
    });
    server.stdin.on("error", (error) =>
      this.fail(`writing to yaml-language-server failed: ${error.message}`),
    );
    server.once("exit", (code, signal) =>
      this.fail(`yaml-language-server exited (code ${code}, signal ${signal})`),
    );
  }

  async request<T>(method: string, params: unknown): Promise<T> {
    const id = this.nextId++;
    this.send({ id, method, params });
    const answer = await this.waitFor(`answer to ${method}`, () => this.responses.get(id));
    this.responses.delete(id);
    if (answer.error) throw new Error(`${method} failed: ${answer.error.message}`);
    return answer.result as T;
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** Opens a document (each uri once) and returns the diagnostics the server publishes for it. */
  open(uri: string, text: string, accept = (_: Diagnostic[]) => true): Promise<Diagnostic[]> {
    this.notify("textDocument/didOpen", { textDocument: { uri, languageId: "yaml", version: 1, text } });
    return this.waitFor(`diagnostics for ${uri}`, () => {
      const found = this.diagnostics.get(uri);
      return found && accept(found) ? found : undefined;
    });
  }

  /** Stops the server by its process id: SIGTERM, then SIGKILL if it is still there after WAIT_MS. */
  async stop(): Promise<void> {
    if (this.server.exitCode !== null || this.server.signalCode !== null) return;
    const exited = new Promise<void>((done) => this.server.once("exit", () => done()));
    process.kill(this.server.pid!, "SIGTERM");
    const timer = setTimeout(() => this.server.kill("SIGKILL"), WAIT_MS);
    await exited;
    clearTimeout(timer);
  }

  private send(message: Message): void {
    if (this.failure !== undefined) return;
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
    this.server.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString("ascii");
      const length = Number(/^content-length: *(\d+)$/im.exec(header)?.[1]);
      if (!Number.isInteger(length)) {
        this.fail(`a message without Content-Length: ${header}`);
        return;
      }
      const start = headerEnd + 4;
      if (this.buffer.length < start + length) return;
      const message = JSON.parse(this.buffer.subarray(start, start + length).toString("utf8")) as Message;
      this.buffer = this.buffer.subarray(start + length);
      this.dispatch(message);
    }
  }

  private dispatch(message: Message): void {
    if (message.method !== undefined && message.id !== undefined) {
      // A request from the server. yaml-language-server pulls its settings with workspace/configuration
      // (it ignores the payload of didChangeConfiguration); other requests (registerCapability) get null.
      const items = (message.params as { items?: { section?: string }[] } | undefined)?.items ?? [];
      const result =
        message.method === "workspace/configuration"
          ? items.map((item) => (item.section === "yaml" ? YAML_SETTINGS : null))
          : null;
      this.send({ id: message.id, result });
    } else if (message.method === "textDocument/publishDiagnostics") {
      const { uri, diagnostics } = message.params as { uri: string; diagnostics: Diagnostic[] };
      this.diagnostics.set(uri, diagnostics);
    } else if (message.id !== undefined) {
      this.responses.set(message.id, message);
    }
    for (const check of [...this.waiters]) check();
  }

  private fail(reason: string): void {
    this.failure ??= reason;
    for (const check of [...this.waiters]) check();
  }

  private waitFor<T>(what: string, found: () => T | undefined): Promise<T> {
    return new Promise<T>((resolvePromise, reject) => {
      const check = (): void => {
        const value = found();
        if (value !== undefined) finish(() => resolvePromise(value));
        else if (this.failure !== undefined)
          finish(() => reject(new Error(`no ${what}: ${this.failure}; its stderr ends: ${this.stderr}`)));
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`no ${what} within ${WAIT_MS} ms; the server's stderr ends: ${this.stderr}`)),
          ),
        WAIT_MS,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** A document in no real directory; the `*.yaml` association gives it the fleet schema. */
function scratch(name: string): string {
  return `file:///servicevm-editor-test/${name}`;
}

/** The text without its one `|` cursor, and the cursor's position. */
function cursor(marked: string): { text: string; position: Position } {
  const at = marked.indexOf("|");
  if (at < 0 || marked.indexOf("|", at + 1) >= 0) throw new Error("cursor: mark exactly one `|`");
  const lines = marked.slice(0, at).split("\n");
  return {
    text: marked.slice(0, at) + marked.slice(at + 1),
    position: { line: lines.length - 1, character: lines[lines.length - 1].length },
  };
}

interface CompletionItem {
  label: string;
}

let client: LanguageClient;
let opened = 0;

async function complete(marked: string): Promise<string[]> {
  const { text, position } = cursor(marked);
  const uri = scratch(`complete-${opened++}.yaml`);
  await client.open(uri, text);
  const answer = await client.request<{ items: CompletionItem[] } | CompletionItem[] | null>(
    "textDocument/completion",
    { textDocument: { uri }, position },
  );
  const items = Array.isArray(answer) ? answer : (answer?.items ?? []);
  return items.map((item) => item.label).sort();
}

beforeAll(async () => {
  const server = spawn(process.execPath, [SERVER, "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  client = new LanguageClient(server);
  // processId: the server also exits by itself when this test process is gone.
  await client.request("initialize", {
    processId: process.pid,
    rootUri: null,
    capabilities: {
      workspace: { configuration: true },
      textDocument: { hover: { contentFormat: ["markdown", "plaintext"] } },
    },
  });
  client.notify("initialized", {});
  client.notify("workspace/didChangeConfiguration", { settings: { yaml: YAML_SETTINGS } });
  // Settings arrive asynchronously; a schema error in a probe document shows they are in force.
  await client.open(scratch("probe.yaml"), "templates: 5\npools: {}\n", (found) => found.length > 0);
});

afterAll(async () => {
  await client?.stop();
});

const EXAMPLES = readdirSync(join(ROOT, "examples"))
  .filter((name) => existsSync(join(ROOT, "examples", name, "fleet.yaml")))
  .sort();

describe("fleet.schema.json in yaml-language-server", () => {
  it("finds the eight examples", () => {
    expect(EXAMPLES).toEqual([
      "docker-lab",
      "headroom",
      "maintenance",
      "mixed",
      "nfv-edge",
      "physical-appliances",
      "rebalance",
      "yaml-edge",
    ]);
  });

  it.each(EXAMPLES)("reports no problem in examples/%s/fleet.yaml", async (name) => {
    const file = join(ROOT, "examples", name, "fleet.yaml");
    const found = await client.open(pathToFileURL(file).href, readFileSync(file, "utf8"));
    expect(
      found.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`),
    ).toEqual([]);
  });

  const TEMPLATE = "templates:\n  box:\n    driver: physical\n    capacity: { CUSTOM_SERVICE_SLOT: 1 }\n";

  // `{ mode: | }`, with a blank before the brace, gets no completion at all from yaml-language-server
  // 1.25, whatever the schema; `{ mode: |}` and the block form do.
  it.each([
    ["a block mapping", `${TEMPLATE}    tenancy:\n      mode: |\npools: {}\n`],
    ["a flow mapping", `${TEMPLATE}    tenancy: { mode: |}\npools: {}\n`],
  ])("offers both tenancy modes for `mode:` in %s", async (_, marked) => {
    expect(await complete(marked)).toEqual(["dedicated", "shared"]);
  });

  it("offers no invented template name for a pool's `template:`, and the pool's fields on the next line", async () => {
    expect(await complete(`${TEMPLATE}pools:\n  fw:\n    template: |\n`)).toEqual([]);
    expect(await complete(`${TEMPLATE}pools:\n  fw:\n    template: box\n    |\n`)).toEqual([
      "antiAffinity",
      "devices",
      "disruptionBudget",
      "max",
      "maxUnhealthyShare",
      "min",
      "rebalance",
      "size",
      "standby",
      "strategy",
      "zones",
    ]);
  });

  const HOVERED = `templates:
  fw:
    driver: openstack
    serviceTypes: [firewall]
    capacity: { CUSTOM_SERVICE_SLOT: 8 }
    tenancy: { mode: dedicated }
    openstack: { image: { name: vyos }, flavor: { name: m1.large }, networks: [mgmt] }
pools:
  fw:
    template: fw
    standby: 1
    strategy: spread
  ext:
    external:
      fleet: infra
allocations:
  a:
    tenant: t1
    serviceType: firewall
    demand: { CUSTOM_SERVICE_SLOT: 1 }
backend: { kind: placement }
`;

  /** The position of `key`'s first letter on the one line of HOVERED that starts with it. */
  function keyAt(key: string): Position {
    const lines = HOVERED.split("\n");
    const matching = lines.flatMap((l, line) => (l.trimStart().startsWith(`${key}:`) ? [line] : []));
    if (matching.length !== 1) throw new Error(`keyAt: \`${key}:\` must start exactly one line`);
    const line = matching[0];
    return { line, character: lines[line].length - lines[line].trimStart().length + 1 };
  }

  it.each([
    ["serviceTypes", "Service types the template can host; an allocation's `serviceType` must be listed."],
    [
      "tenancy",
      "How tenants share a device: `dedicated` (one tenant at a time) or `shared` (several, each in its own isolation context).",
    ],
    ["openstack", "OpenStack driver settings; required when `driver` is `openstack`."],
    ["strategy", "`pack` fills the lowest-numbered device first; `spread` places on the least loaded."],
    ["fleet", "The owning fleet's name (its Ledger's `fleet`)."],
    ["ext", "(needs `backend: { kind: placement }`). `external` excludes every other pool field."],
    ["pools", "Devices of created pools are named `<pool>-<n>`, n from 0."],
    // Plain descriptions; `template`'s sits beside a $ref whose target has a Markdown description.
    ["template", "Name of the template the pool's devices are built from."],
    ["standby", "Idle devices kept booted beyond what allocations need."],
    ["demand", "Amount needed per resource class."],
  ])("shows the description of `%s` in hover as Markdown, backticks unescaped", async (key, text) => {
    const uri = scratch(`hover-${opened++}.yaml`);
    await client.open(uri, HOVERED);
    const hover = await client.request<{ contents: { kind: string; value: string } }>("textDocument/hover", {
      textDocument: { uri },
      position: keyAt(key),
    });
    expect(hover.contents.kind).toBe("markdown");
    expect(hover.contents.value).not.toContain("\\`");
    expect(hover.contents.value).toContain(text);
  });
});
