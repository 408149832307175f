/**
 * The ApplianceRegistration provider's logic, loaded by the dynamic-provider process through
 * `require("servicevm/dist/provider/applianceImpl.js")`. Probes on create, update and refresh.
 *
 * The password is recorded in the outputs because `pulumi refresh` calls `read` with the outputs
 * only: without it a refresh would probe without credentials and see `HTTP 401` (issue 10). It is
 * never plain in state: the registration lists it in `additionalSecretOutputs`, the engine marks
 * an output secret when the same-named input was secret (create, update), and after a `read` it
 * re-marks outputs secret by name from the previous state (providers that do not accept secrets).
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  type MonotonicClock,
  type ProbeRequest,
  type ProbeResult,
  defaultMonotonic,
  probe,
  sendsCredentials,
} from "./probe";
import { NAME, NAME_PATTERN } from "../core/names";

/** The engine's placeholder for a value that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Inputs as the provider receives them (plain values; secrets already unwrapped by the engine). */
export interface ApplianceInputs {
  fleet: string;
  pool: string;
  device: string;
  serial?: string;
  zone?: string;
  managementUrl?: string;
  caFile?: string;
  insecure?: boolean;
  timeoutMs?: number;
  username?: string;
  passwordConfig?: string;
  password?: string;
}

/**
 * What a registration records: its inputs, the password included (a secret output, see the module
 * comment), and the last probe.
 */
export interface ApplianceOutputs extends ApplianceInputs {
  reachable: boolean;
  /**
   * Reachable and not refusing the credentials the probe sent (401, 403), or nothing to probe: the
   * Ledger places services only on healthy appliances.
   */
  healthy: boolean;
  latencyMs: number | null;
  /** ISO time of the last probe that got an answer; kept from earlier probes while unreachable. */
  lastSeen: string | null;
  /**
   * `HTTP <code>`, `timeout`, a socket/TLS error code, ``CA file `<path>` cannot be read: <reason>``,
   * or `unmanaged` when there is no URL.
   */
  status: string;
}

/**
 * Input fields a registration records and diffs. The password is one: refresh probes with the
 * recorded password, so a rotated password must reach the state, through an update.
 */
export const DOMAIN_FIELDS = [
  "fleet",
  "pool",
  "device",
  "serial",
  "zone",
  "managementUrl",
  "caFile",
  "insecure",
  "timeoutMs",
  "username",
  "passwordConfig",
  "password",
] as const;

/** HTTP statuses with which an appliance refuses the credentials it was sent. */
const CREDENTIALS_REFUSED = [401, 403];

export interface ApplianceDeps {
  /** Wall clock for `lastSeen`. */
  now: () => Date;
  monotonic: MonotonicClock;
  probe: (req: ProbeRequest, clock: MonotonicClock) => Promise<ProbeResult>;
}

function record(inputs: ApplianceInputs): ApplianceInputs {
  const out: Record<string, unknown> = {};
  for (const key of DOMAIN_FIELDS) if (inputs[key] !== undefined) out[key] = inputs[key];
  return out as unknown as ApplianceInputs;
}

/**
 * The ApplianceRegistration provider's methods over the given dependencies (probe, clock). Longer
 * than 80 lines because it is the provider: a closure over `deps` holding `check`, `diff`, `create`,
 * `read`, `update` and `delete`, each short on its own.
 */
export function makeApplianceProvider(deps: ApplianceDeps) {
  async function observe(
    inputs: ApplianceInputs,
    previousLastSeen: string | null,
  ): Promise<ApplianceOutputs> {
    const base = record(inputs);
    if (inputs.managementUrl === undefined) {
      return {
        ...base,
        reachable: false,
        healthy: true,
        latencyMs: null,
        lastSeen: previousLastSeen,
        status: "unmanaged",
      };
    }
    const req: ProbeRequest = { url: inputs.managementUrl, timeoutMs: inputs.timeoutMs ?? 5000 };
    if (inputs.caFile !== undefined) req.caFile = inputs.caFile;
    if (inputs.insecure !== undefined) req.insecure = inputs.insecure;
    if (inputs.username !== undefined) req.username = inputs.username;
    if (inputs.password !== undefined) req.password = inputs.password;
    const result = await deps.probe(req, deps.monotonic);
    const refused =
      sendsCredentials(req) && result.httpStatus !== null && CREDENTIALS_REFUSED.includes(result.httpStatus);
    return {
      ...base,
      reachable: result.reachable,
      healthy: result.reachable && !refused,
      latencyMs: result.latencyMs,
      lastSeen: result.reachable ? deps.now().toISOString() : previousLastSeen,
      status: result.status,
    };
  }

  return {
    check: (_olds: Record<string, unknown>, news: ApplianceInputs): Promise<pulumi.dynamic.CheckResult> => {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (typeof news.device !== "string" || !NAME.test(news.device)) {
        failures.push({
          property: "device",
          reason: `appliance \`device\` must match ${NAME_PATTERN}; got ${JSON.stringify(news.device)}`,
        });
      }
      const url = news.managementUrl;
      if (url !== undefined && url !== UNKNOWN) {
        let scheme = "";
        try {
          scheme = new URL(url).protocol;
        } catch {
          scheme = "";
        }
        if (scheme !== "http:" && scheme !== "https:") {
          failures.push({
            property: "managementUrl",
            reason: `appliance \`${news.device}\` \`management.url\` must be an http:// or https:// URL; fix \`management.url\``,
          });
        }
      }
      if (news.insecure === true && news.caFile !== undefined) {
        failures.push({
          property: "insecure",
          reason: `appliance \`${news.device}\` sets both \`management.caFile\` and \`management.insecure\`; keep one`,
        });
      }
      return Promise.resolve({ inputs: news, failures });
    },

    diff: (
      _id: string,
      olds: ApplianceOutputs,
      news: ApplianceInputs,
    ): Promise<pulumi.dynamic.DiffResult> => {
      const changed = DOMAIN_FIELDS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
      return Promise.resolve({ changes: changed.length > 0, replaces: [], deleteBeforeReplace: false });
    },

    create: async (inputs: ApplianceInputs): Promise<pulumi.dynamic.CreateResult> => {
      const outs = await observe(inputs, null);
      return { id: `${inputs.fleet}/${inputs.device}`, outs };
    },

    update: async (
      _id: string,
      olds: ApplianceOutputs,
      news: ApplianceInputs,
    ): Promise<pulumi.dynamic.UpdateResult> => {
      return { outs: await observe(news, olds.lastSeen ?? null) };
    },

    read: async (id: string, props: ApplianceOutputs): Promise<pulumi.dynamic.ReadResult> => {
      const outs = await observe(props, props.lastSeen ?? null);
      return { id, props: outs };
    },

    delete: (): Promise<void> => {
      return Promise.resolve();
    },
  };
}

export const realDeps: ApplianceDeps = { now: () => new Date(), monotonic: defaultMonotonic, probe };

const real = makeApplianceProvider(realDeps);
export const { check, diff, create, update, read } = real;
export { real as provider };
