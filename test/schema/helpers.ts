/** Shared helpers of the schema tests: a small valid fleet and error formatting. */
import { checkSpec } from "../../schema/loader";
import { formatIssue } from "../../schema/errors";

/** A small fleet that is valid; tests change one thing in it. */
export const BASE = `templates:
  fw:
    driver: openstack
    serviceTypes: [firewall]
    capacity:
      CUSTOM_SERVICE_SLOT: 8
    tenancy: { mode: shared, isolation: vrf, contexts: { first: 1, last: 8 } }
    openstack: { image: { name: vyos }, flavor: { name: m1.large }, networks: [mgmt] }
  box:
    driver: physical
    capacity: { CUSTOM_SERVICE_SLOT: 4 }
pools:
  fw:
    template: fw
    max: 4
    zones: [az1]
  edge:
    template: box
    devices:
      - name: rack1-fw01
        zone: az2
allocations:
  a:
    tenant: t1
    serviceType: firewall
    demand: { CUSTOM_SERVICE_SLOT: 1 }
`;

/** Replaces exactly one occurrence of `from` in BASE (fails loudly when it is not there once). */
export function edit(from: string, to: string, text = BASE): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`edit: \`${from}\` must occur exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The loader's errors as `file:line:col: path: message` lines. */
export function problems(text: string | Uint8Array, file = "fleet.yaml"): string[] {
  return checkSpec(text, file).errors.map(formatIssue);
}
