/**
 * The servicevm provider plugin: what `plugin/main.ts` serves over gRPC with
 * `@pulumi/pulumi/provider`'s `main()`.
 *
 * - `servicevm:index:Ledger` and `servicevm:index:ApplianceRegistration` are custom resources of
 *   this provider, with the same logic and state as the dynamic ones (`provider/ledgerImpl.ts`,
 *   `provider/applianceImpl.ts`) and no serialized closure. The engine gives `check`, `create` and
 *   `update` the resource's URN, so the Ledger's warnings name it without a `resourceUrn` input.
 * - `servicevm:index:Fleet` is a component built by `construct` (see `construct.ts`).
 * - `getSchema` returns `plugin/schema.json`, generated from `schema/fleet.schema.json`.
 *
 * Secrets: the SDK's server answers `Configure` with `acceptSecrets`, so secret inputs arrive
 * wrapped (`{ <sig>: <secret sig>, value }`). The appliance's credentials are unwrapped only to
 * probe, and every value that came in secret goes back out secret: in the checked inputs the engine
 * stores, and in the outputs of `create`, `update` and `read` (refresh probes with the password
 * kept in state). The Ledger plans on plain values; a health entry that came in secret (an
 * appliance's `healthy` made secret) goes back secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { COMPONENT_TOKENS, PACKAGE, PROVIDER_TOKENS } from "../tokens";
import { makeLedgerMethods, diff as ledgerDiff, type LedgerInputs } from "../provider/ledgerImpl";
import { APPLIANCE_SECRET_OUTPUTS } from "../provider/appliance";
import {
  makeApplianceProvider,
  realDeps,
  type ApplianceInputs,
  type ApplianceOutputs,
} from "../provider/applianceImpl";
import { constructFleet } from "./construct";

/** The key and value that mark a secret in a property struct (the engine's `MarshalProperties`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Props = Record<string, unknown>;

function isSecret(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Props)[SIG_KEY] === SECRET_SIG;
}

/** The props with top-level secrets unwrapped, and the keys that were secret. */
export function unwrapSecrets(props: Props): { plain: Props; secret: Set<string> } {
  const plain: Props = {};
  const secret = new Set<string>();
  for (const [k, v] of Object.entries(props)) {
    if (isSecret(v)) {
      secret.add(k);
      plain[k] = v.value;
    } else plain[k] = v;
  }
  return { plain, secret };
}

/** The props with each of `keys` that is present wrapped as a secret. */
export function wrapSecrets(props: Props, keys: Iterable<string>): Props {
  const out: Props = { ...props };
  for (const k of keys) {
    if (out[k] !== undefined && !isSecret(out[k])) out[k] = { [SIG_KEY]: SECRET_SIG, value: out[k] };
  }
  return out;
}

/** `value` with every secret, at any depth, replaced by its plain value. */
export function unwrapDeep(value: unknown): unknown {
  if (isSecret(value)) return unwrapDeep(value.value);
  if (Array.isArray(value)) return value.map(unwrapDeep);
  if (value !== null && typeof value === "object") {
    const out: Props = {};
    for (const [k, v] of Object.entries(value)) out[k] = unwrapDeep(v);
    return out;
  }
  return value;
}

/**
 * The Ledger's inputs in plain values, and the health entries that came in secret (all of them
 * when the whole map did): the Ledger plans on plain values, and gives those entries back secret.
 * Nothing else it records is secret: `sources` are digests, which reveal nothing.
 */
function ledgerIn(news: Props): { plain: Props; secretHealth: (key: string) => boolean } {
  const wholeSecret = isSecret(news.health);
  const health = wholeSecret ? (news.health as { value: unknown }).value : news.health;
  const secretKeys = new Set<string>();
  if (health !== null && typeof health === "object" && !Array.isArray(health)) {
    for (const [k, v] of Object.entries(health)) if (isSecret(v)) secretKeys.add(k);
  }
  return {
    plain: unwrapDeep(news) as Props,
    secretHealth: (key) => wholeSecret || secretKeys.has(key),
  };
}

/** The checked Ledger inputs with the health entries that came in secret wrapped again. */
function ledgerOut(inputs: Props, secretHealth: (key: string) => boolean): Props {
  const health = inputs.health;
  if (health === null || typeof health !== "object" || Array.isArray(health)) return inputs;
  const out: Props = {};
  for (const [k, v] of Object.entries(health as Props))
    out[k] = secretHealth(k) ? { [SIG_KEY]: SECRET_SIG, value: v } : v;
  return { ...inputs, health: out };
}

/** The resource type in a URN (`urn:pulumi:<stack>::<project>::<parent types$>type::<name>`). */
export function urnType(urn: string): string {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return qualified.slice(qualified.lastIndexOf("$") + 1);
}

/** Props without `undefined` values (a struct cannot hold them). */
function defined(props: Props): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(props)) if (v !== undefined) out[k] = v;
  return out;
}

function unknownType(urn: string): Error {
  return new Error(
    `servicevm provider: unknown resource type \`${urnType(urn)}\` (${urn}); it serves ` +
      `${PROVIDER_TOKENS.ledger}, ${PROVIDER_TOKENS.appliance} and the component ${COMPONENT_TOKENS.fleet}`,
  );
}

/**
 * The installed package's root: the nearest directory above this module whose package.json is
 * servicevm's (`dist/plugin/` when built, `plugin/` when run from source).
 */
function packageRoot(): string {
  for (let dir = __dirname, i = 0; i < 4; dir = path.dirname(dir), i++) {
    const file = path.join(dir, "package.json");
    if (
      fs.existsSync(file) &&
      (JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string }).name === PACKAGE
    )
      return dir;
  }
  throw new Error(`servicevm provider: no package.json of \`${PACKAGE}\` above ${__dirname}`);
}

/** The package's version (the plugin's), from its package.json. */
export function packageVersion(): string {
  return (
    JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string }
  ).version;
}

/** The package schema, `plugin/schema.json` in the installed package. */
export function packageSchema(): string {
  return fs.readFileSync(path.join(packageRoot(), "plugin", "schema.json"), "utf8");
}

interface Failure {
  property: string;
  reason: string;
}

/** The provider's methods, typed (the SDK's `Provider` takes and gives `any`). */
export interface ServicevmProvider extends provider.Provider {
  version: string;
  getSchema(): Promise<string>;
  check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures?: Failure[] }>;
  diff(id: string, urn: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult>;
  create(urn: string, inputs: Props): Promise<{ id: string; outs: Props }>;
  update(id: string, urn: string, olds: Props, news: Props): Promise<{ outs: Props }>;
  read(id: string, urn: string, props: Props): Promise<{ id: string; props: Props }>;
  delete(id: string, urn: string, props: Props): Promise<void>;
}

/** The provider, with the Ledger's and the appliance's dependencies (tests pass fakes). */
export function makeProvider(
  ledger = makeLedgerMethods(),
  appliance = makeApplianceProvider(realDeps),
): ServicevmProvider {
  const secretKeys = new Set(APPLIANCE_SECRET_OUTPUTS);
  /** Appliance props for the implementation, and the keys to keep secret on the way out. */
  const applianceIn = (props: Props) => {
    const { plain, secret } = unwrapSecrets(props);
    for (const k of secretKeys) secret.add(k);
    return { plain, secret };
  };
  return {
    version: packageVersion(),
    getSchema: () => Promise.resolve(packageSchema()),

    async check(urn: string, olds: Props, news: Props) {
      switch (urnType(urn)) {
        case PROVIDER_TOKENS.ledger: {
          const { plain, secretHealth } = ledgerIn(news);
          const r = await ledger.check(unwrapDeep(olds) as Props, plain as unknown as LedgerInputs, urn);
          const inputs = (r.inputs as Props | undefined) ?? plain;
          return { inputs: ledgerOut(inputs, secretHealth), failures: r.failures ?? [] };
        }
        case PROVIDER_TOKENS.appliance: {
          const { plain, secret } = applianceIn(news);
          const result = await appliance.check(
            unwrapSecrets(olds).plain,
            plain as unknown as ApplianceInputs,
          );
          return { ...result, inputs: wrapSecrets(result.inputs as Props, secret) };
        }
        default:
          throw unknownType(urn);
      }
    },

    async diff(id: string, urn: string, olds: Props, news: Props) {
      switch (urnType(urn)) {
        case PROVIDER_TOKENS.ledger:
          return ledgerDiff(id, unwrapDeep(olds) as Props, unwrapDeep(news) as Props);
        case PROVIDER_TOKENS.appliance:
          return appliance.diff(
            id,
            unwrapSecrets(olds).plain as unknown as ApplianceOutputs,
            unwrapSecrets(news).plain as unknown as ApplianceInputs,
          );
        default:
          throw unknownType(urn);
      }
    },

    async create(urn: string, inputs: Props) {
      switch (urnType(urn)) {
        case PROVIDER_TOKENS.ledger: {
          const { plain, secretHealth } = ledgerIn(inputs);
          const r = await ledger.create(plain, urn);
          return { id: r.id, outs: ledgerOut((r.outs as Props | undefined) ?? {}, secretHealth) };
        }
        case PROVIDER_TOKENS.appliance: {
          const { plain, secret } = applianceIn(inputs);
          const r = await appliance.create(plain as unknown as ApplianceInputs);
          return { id: r.id, outs: wrapSecrets(defined(r.outs as Props), secret) };
        }
        default:
          throw unknownType(urn);
      }
    },

    async update(id: string, urn: string, olds: Props, news: Props) {
      switch (urnType(urn)) {
        case PROVIDER_TOKENS.ledger: {
          const { plain, secretHealth } = ledgerIn(news);
          const r = await ledger.update(id, unwrapDeep(olds) as Props, plain, urn);
          return { outs: ledgerOut((r.outs as Props | undefined) ?? {}, secretHealth) };
        }
        case PROVIDER_TOKENS.appliance: {
          const { plain, secret } = applianceIn(news);
          const r = await appliance.update(
            id,
            unwrapSecrets(olds).plain as unknown as ApplianceOutputs,
            plain as unknown as ApplianceInputs,
          );
          return { outs: wrapSecrets(defined(r.outs as Props), secret) };
        }
        default:
          throw unknownType(urn);
      }
    },

    async read(id: string, urn: string, props: Props) {
      switch (urnType(urn)) {
        case PROVIDER_TOKENS.ledger: {
          const { plain, secretHealth } = ledgerIn(props);
          const r = await ledger.read(id, plain);
          return { id: r.id ?? id, props: ledgerOut((r.props as Props | undefined) ?? {}, secretHealth) };
        }
        case PROVIDER_TOKENS.appliance: {
          const { plain, secret } = applianceIn(props);
          const r = await appliance.read(id, plain as unknown as ApplianceOutputs);
          return { id: r.id ?? id, props: wrapSecrets(defined(r.props as Props), secret) };
        }
        default:
          throw unknownType(urn);
      }
    },

    async delete(id: string, urn: string, props: Props) {
      switch (urnType(urn)) {
        case PROVIDER_TOKENS.ledger:
          return ledger.remove(id, unwrapDeep(props) as Props, urn);
        case PROVIDER_TOKENS.appliance:
          return appliance.delete();
        default:
          throw unknownType(urn);
      }
    },

    construct(
      name: string,
      type: string,
      inputs: pulumi.Inputs,
      options: pulumi.ComponentResourceOptions,
    ): Promise<provider.ConstructResult> {
      if (type !== COMPONENT_TOKENS.fleet) {
        return Promise.reject(
          new Error(
            `servicevm provider: \`${type}\` is not a component it constructs; it constructs ${COMPONENT_TOKENS.fleet}`,
          ),
        );
      }
      return constructFleet(name, inputs, options);
    },
  };
}
