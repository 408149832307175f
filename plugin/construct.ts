/**
 * `Construct` of `servicevm:index:Fleet` in the provider plugin: the spec from the component's
 * inputs, then the same `Fleet` a TypeScript program builds, with the Ledger and the appliance
 * registrations as custom resources of this provider (`resources: "provider"`).
 *
 * The spec comes as `specText` (YAML or JSON, e.g. Pulumi YAML's `fn::readFile: ./fleet.yaml`, with
 * `specFile` naming the file so every error carries file:line:col) or as `spec`, an object following
 * `schema/fleet.schema.json`. In an object, values passed through to child resources (networks,
 * image and flavor ids, management URLs...) may be outputs of other resources; everything the
 * planner reads must be known when the program runs, as in TypeScript.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { checkFleetSpec } from "../core/specCheck";
import { Fleet, notKnownYet, type FleetArgs } from "../components/fleet";
import { parseSpec, SpecError } from "../schema";
import { formatIssue, sortIssues } from "../schema/errors";
import { COMPONENT_TOKENS } from "../tokens";

/** An Output's value; `undefined` when it is not known (a preview). */
async function valueOf(input: unknown): Promise<unknown> {
  if (!pulumi.Output.isInstance(input)) return input;
  // `promise()` is how the SDK's own provider code reads an Output it was handed.
  return (input as unknown as { promise(): Promise<unknown> }).promise();
}

function inputError(name: string, message: string): Error {
  return new Error(`${COMPONENT_TOKENS.fleet} \`${name}\`: ${message}`);
}

/** The Fleet's spec from the component inputs `spec` or `specText` (+ `specFile`). */
export async function fleetSpecOf(name: string, inputs: pulumi.Inputs): Promise<FleetArgs> {
  const hasSpec = inputs.spec !== undefined;
  const hasText = inputs.specText !== undefined;
  if (hasSpec === hasText) {
    throw inputError(
      name,
      hasSpec
        ? "give either `spec` or `specText`, not both"
        : "give the fleet spec as `specText` (e.g. `specText: { fn::readFile: ./fleet.yaml }` with `specFile: fleet.yaml`) or as a `spec` object",
    );
  }
  const file = await valueOf(inputs.specFile);
  const filename = typeof file === "string" && file !== "" ? file : "<specText>";
  if (hasText) {
    const text = await valueOf(inputs.specText);
    if (typeof text !== "string") {
      throw inputError(
        name,
        text === undefined
          ? "`specText` is not known yet (it comes from a resource that is not created); the plan needs the spec when the program runs: read it from a file"
          : `\`specText\` must be a string, got ${Array.isArray(text) ? "an array" : typeof text}`,
      );
    }
    try {
      return parseSpec(text, filename);
    } catch (err) {
      if (err instanceof SpecError) throw inputError(name, err.message);
      throw err;
    }
  }
  const spec = await valueOf(inputs.spec);
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    throw inputError(name, "`spec` must be an object following schema/fleet.schema.json");
  }
  // The one spec check, which the Fleet then does not repeat; an Output may stand only where a
  // value is passed through to a child resource.
  const checked = checkFleetSpec<FleetArgs>(spec, { view: "spec", unknown: notKnownYet });
  if (!checked.ok) {
    const lines = sortIssues(checked.errors.map((e) => ({ ...e, file: "spec", line: 0, col: 0 }))).map(
      formatIssue,
    );
    throw inputError(
      name,
      `${lines.length} error${lines.length === 1 ? "" : "s"} in fleet spec:\n${lines.join("\n")}`,
    );
  }
  return checked.spec;
}

/** Builds the Fleet and returns its URN and outputs: `placements`, `capacity`, `ledger`. */
export async function constructFleet(
  name: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): Promise<provider.ConstructResult> {
  const spec = await fleetSpecOf(name, inputs);
  const protect = await valueOf(inputs.protectLedger);
  if (protect !== undefined && typeof protect !== "boolean") {
    throw inputError(name, `\`protectLedger\` must be true or false, got ${JSON.stringify(protect)}`);
  }
  const fleet = new Fleet(name, spec, {
    ...options,
    resources: "provider",
    ...(protect !== undefined ? { protectLedger: protect } : {}),
  });
  return {
    urn: fleet.urn,
    state: { placements: fleet.placements, capacity: fleet.capacity, ledger: fleet.ledger },
  };
}
