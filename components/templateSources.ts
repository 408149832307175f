/**
 * What each template's devices are created from, for the Ledger's `sources` input: one digest per
 * field of the template's driver block, plus `driver`. The same JSON value reaches `digest` as in
 * `templateSource` (`core/sources.ts`), which computes it from a plain spec, so the Ledger and
 * `servicevm plan --previous <stack export>` agree on what changed.
 */
import * as pulumi from "@pulumi/pulumi";
import { digest, SOURCE_FIELDS } from "../core/sources";
import type { TemplateSpec } from "../core/types";

type In = pulumi.Input<string>;

/** Template name -> field -> digest, each field an Output of its own (see {@link templateSources}). */
export type TemplateSourceInputs = Record<string, Record<string, pulumi.Input<string | undefined>>>;

/**
 * The digests of every template's source fields, from its Inputs. Each field is its own Output:
 * a value wired from a resource not created yet is unknown in a preview on its own, while the other
 * fields stay known. An Output that resolves to `undefined` stands for a field the template leaves
 * out (the Ledger then gets no entry, as `templateSource` gives none). Digests reveal nothing about
 * the value, so they are unsecret: secret user data does not make the Ledger's inputs secret.
 * Keys sorted.
 */
export function templateSources(templates: Record<string, TemplateSpec<In>>): TemplateSourceInputs {
  const out: TemplateSourceInputs = {};
  for (const name of Object.keys(templates).sort()) {
    const template = templates[name];
    const block = (template.driver === "openstack"
      ? template.openstack
      : template.driver === "docker"
        ? template.docker
        : undefined) as unknown as Record<string, unknown> | undefined;
    const fields: Record<string, pulumi.Input<string | undefined>> = {};
    for (const field of Object.keys(SOURCE_FIELDS[template.driver]).sort()) {
      if (field === "driver") {
        fields.driver = digest(template.driver);
        continue;
      }
      const value = block?.[field];
      if (value === undefined) continue;
      fields[field] = pulumi.unsecret(
        pulumi.output(value).apply((v): string | undefined => (v === undefined ? undefined : digest(v))),
      );
    }
    out[name] = fields;
  }
  return out;
}
