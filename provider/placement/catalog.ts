/**
 * The Keystone v3 service catalog and the choice of one endpoint in it (pure): the service `type`,
 * the `interface` asked for, and the region. With no region asked, the endpoints for the interface
 * must all be in one region; otherwise the choice would depend on the catalog's order, so it is
 * refused and the regions are named.
 */
import { AuthConfigError, settingName, settingPlace, type CloudConfig } from "./cloudConfig";

export interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region_id?: string; region?: string; url: string }[];
}

function regionOf(e: CatalogEntry["endpoints"][number]): string {
  return e.region_id ?? e.region ?? "(no region)";
}

/** `admin in RegionOne, public in RegionTwo`: every interface and region of a service, sorted. */
function offered(endpoints: CatalogEntry["endpoints"]): string {
  const pairs = new Set(endpoints.map((e) => `${e.interface} in ${regionOf(e)}`));
  return [...pairs].sort().join(", ");
}

/**
 * The URL of service `type` for `config.interface` and `config.regionName`; throws an
 * `AuthConfigError` naming what the catalog has and the setting to change.
 */
export function chooseEndpoint(catalog: CatalogEntry[], type: string, config: CloudConfig): string {
  const { origin, source } = config;
  const keystone = `the catalog of Keystone at ${config.authUrl} (${source})`;
  const explicit = "or give the Placement `endpoint` explicitly";
  const endpoints = catalog.filter((s) => s.type === type).flatMap((s) => s.endpoints);
  if (catalog.length === 0)
    throw new AuthConfigError(
      `${keystone} is empty: the token is not scoped to a project; set ${settingName(origin, "project_name")}${settingPlace(origin)}, ${explicit}`,
    );
  if (endpoints.length === 0) {
    const types = [...new Set(catalog.map((s) => s.type))].sort();
    throw new AuthConfigError(
      `${keystone} has no \`${type}\` service (services: ${types.join(", ")}); register it in Keystone ` +
        `(\`openstack service create ${type}\`, \`openstack endpoint create\`), ${explicit}`,
    );
  }
  const region = config.regionName;
  const forInterface = endpoints.filter((e) => e.interface === config.interface);
  const matching =
    region === undefined
      ? forInterface
      : forInterface.filter((e) => e.region_id === region || e.region === region);
  const regionKey = settingName(origin, "region_name");
  if (matching.length === 0)
    throw new AuthConfigError(
      `${keystone} has no \`${type}\` endpoint for interface \`${config.interface}\`${region === undefined ? "" : ` in region \`${region}\``}; ` +
        `\`${type}\` has ${offered(endpoints)}; set ${settingName(origin, "interface")} and ${regionKey}${settingPlace(origin)} to one of them, ${explicit}`,
    );
  const regions = [...new Set(matching.map(regionOf))].sort();
  if (regions.length > 1)
    throw new AuthConfigError(
      `${keystone} has \`${type}\` endpoints for interface \`${config.interface}\` in ${regions.length} regions ` +
        `(${regions.join(", ")}) and no region is set; set ${regionKey}${settingPlace(origin)} to one of them, ${explicit}`,
    );
  // One region, one interface: several endpoints there would be several services of one type; the first is taken.
  return matching[0].url;
}
