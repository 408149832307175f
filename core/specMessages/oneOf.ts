/**
 * `oneOf` (and `anyOf`) failures: ajv reports every branch's errors, most of them about branches
 * the user never meant. They are reduced to the errors of the branch the user evidently meant, or
 * to one summary when no branch fits.
 */
import type { ErrorObject } from "ajv";
import { closest } from "../suggest";
import type { Segment } from "./issue";
import type { Ctx, RawIssue, SchemaNode } from "./issue";
import { oneOfValues } from "./keywords";
import { kindOf, orList } from "./render";
import { deref, pointerToSegments, propertiesOf, valueAt } from "./schemaNodes";

/** Where the `k`-th branch of a oneOf at `schemaPath` starts: `<schemaPath>/<k>/`. */
export function branchOf(oneOf: ErrorObject, e: ErrorObject): number | undefined {
  const prefix = `${oneOf.schemaPath}/`;
  if (!e.schemaPath.startsWith(prefix)) return undefined;
  if (e.instancePath !== oneOf.instancePath && !e.instancePath.startsWith(`${oneOf.instancePath}/`))
    return undefined;
  const k = Number(e.schemaPath.slice(prefix.length).split("/")[0]);
  return Number.isInteger(k) ? k : undefined;
}

/** The deepest oneOf/anyOf error whose instance and schema paths both enclose `e`'s. */
export function enclosingChoice(e: ErrorObject, choices: Map<string, ErrorObject>): ErrorObject | undefined {
  const schemaPrefixes: string[] = [];
  const re = /\/(oneOf|anyOf)(?=\/)/g;
  for (let m = re.exec(e.schemaPath); m; m = re.exec(e.schemaPath))
    schemaPrefixes.push(e.schemaPath.slice(0, m.index + m[0].length));
  if (schemaPrefixes.length === 0) return undefined;
  const instancePrefixes = [e.instancePath];
  for (let i = e.instancePath.lastIndexOf("/"); i >= 0; i = e.instancePath.lastIndexOf("/", i - 1)) {
    instancePrefixes.push(e.instancePath.slice(0, i));
    if (i === 0) break;
  }
  for (let s = schemaPrefixes.length - 1; s >= 0; s--) {
    for (const ip of instancePrefixes) {
      const hit = choices.get(`${ip}\u0000${schemaPrefixes[s]}`);
      if (hit && hit !== e) return hit;
    }
  }
  return undefined;
}

/**
 * A field every branch has with a `const` (`mode: shared`, `kind: placement`): its name, and the
 * value each branch requires, in branch order.
 */
interface Discriminator {
  name: string;
  values: unknown[];
}

function discriminatorOf(root: SchemaNode, branches: unknown[]): Discriminator | undefined {
  const tags = branches.map((b) =>
    Object.entries(propertiesOf(root, b)).find(([, v]) => (deref(root, v) ?? {}).const !== undefined),
  );
  const name = tags[0]?.[0];
  if (name === undefined || !tags.every((t) => t?.[0] === name)) return undefined;
  return { name, values: tags.map((t) => (deref(root, t![1]) ?? {}).const) };
}

/** A oneOf failure with what both halves of its reduction read. */
interface Choice {
  ctx: Ctx;
  oneOf: ErrorObject;
  branches: unknown[];
  segments: Segment[];
  value: unknown;
  /** The keys of the value when it is a mapping, else `[]`. */
  present: string[];
  discriminator: Discriminator | undefined;
}

/** Errors of the branch the user meant, or one summary error when none fits. */
export function reduceOneOf(
  ctx: Ctx,
  oneOf: ErrorObject,
  branchErrors: Map<number, ErrorObject[]>,
): { keep: ErrorObject[]; issues: RawIssue[] } {
  const branches = (Array.isArray(oneOf.schema) ? oneOf.schema : []) as unknown[];
  const segments = pointerToSegments(oneOf.instancePath, ctx.data);
  const value = valueAt(ctx.data, segments);
  const present =
    typeof value === "object" && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
  const choice: Choice = {
    ctx,
    oneOf,
    branches,
    segments,
    value,
    present,
    discriminator: discriminatorOf(ctx.root, branches),
  };
  const meant = meantBranch(choice, branchErrors);
  if (meant !== undefined) return { keep: branchErrors.get(meant) ?? [], issues: [] };
  return { keep: [], issues: summary(choice) };
}

/** The branch the user evidently meant, or `undefined` when none stands out. */
function meantBranch(choice: Choice, branchErrors: Map<number, ErrorObject[]>): number | undefined {
  const { ctx, oneOf, branches, value, present, discriminator } = choice;
  // A discriminator whose value names a branch: that branch is the one meant.
  if (discriminator !== undefined && present.includes(discriminator.name)) {
    const got = (value as Record<string, unknown>)[discriminator.name];
    const k = discriminator.values.findIndex((v) => v === got);
    if (k >= 0) return k;
  }
  // Exactly one branch takes the value's kind (a `drain` entry: a name, or a mapping): that one.
  const kind = typeof value === "object" && value !== null && !Array.isArray(value) ? "object" : typeof value;
  const takesKind = branches
    .map((b, k) => ((deref(ctx.root, b) ?? {}).type === kind ? k : -1))
    .filter((k) => k >= 0);
  if (takesKind.length === 1 && branches.length === 2) return takesKind[0];
  // Exactly one branch has every field it requires (`template` of an owned pool, not `external`):
  // that branch is the one meant, and its errors (a misspelt field, a bad value) are the ones to report.
  const complete = branches
    .map((b, k) => {
      const required = (deref(ctx.root, b) ?? {}).required;
      return Array.isArray(required) &&
        required.length > 0 &&
        required.every((r) => present.includes(String(r)))
        ? k
        : -1;
    })
    .filter((k) => k >= 0);
  if (complete.length === 1 && branchErrors.has(complete[0])) return complete[0];
  // Otherwise the branch with the fewest errors, unless every branch fails on the value's shape
  // (a wrong `const`, an unknown field or a wrong type right at the choice).
  const scores = branches.map((_, k) => {
    const errs = branchErrors.get(k) ?? [];
    let score = errs.length;
    for (const e of errs) {
      if (e.keyword === "const") score += 1000;
      else if (
        e.instancePath === oneOf.instancePath &&
        (e.keyword === "additionalProperties" || e.keyword === "type")
      )
        score += 100;
    }
    return score;
  });
  const best = scores.reduce((b, s, k) => (s < scores[b] ? k : b), 0);
  return branches.length > 0 && scores[best] < 100 ? best : undefined;
}

/** `{ mode: shared, isolation, contexts }` for one branch. */
function formOf(root: SchemaNode, branch: unknown): string {
  const props = propertiesOf(root, branch);
  const parts = Object.entries(props).map(([k, v]) => {
    const c = (deref(root, v) ?? {}).const;
    return c === undefined ? k : `${k}: ${typeof c === "string" ? c : JSON.stringify(c)}`;
  });
  return `\`{ ${parts.join(", ")} }\``;
}

/** One summary of a value that fits no branch, listing the forms it could take. */
function summary(choice: Choice): RawIssue[] {
  const { ctx, branches, segments, value, present, discriminator } = choice;
  const forms = branches.map((b) => formOf(ctx.root, b));
  const named = branches.some((b) => (deref(ctx.root, b) ?? {}).type === "string");
  if (named && (typeof value !== "object" || value === null || Array.isArray(value))) {
    // A name or a mapping (a `drain` entry), and the value is neither.
    const mappings = branches.filter((b) => (deref(ctx.root, b) ?? {}).type === "object");
    return [
      {
        segments,
        anchor: "value",
        message: `must be a name or a mapping ${orList(mappings.map((b) => formOf(ctx.root, b)))}; not ${kindOf(value)}`,
        value,
      },
    ];
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [
      {
        segments,
        anchor: "value",
        message: `must be a mapping, one of ${orList(forms)}; not ${kindOf(value)}`,
        value,
      },
    ];
  }
  // A discriminator with a value no branch accepts, or none at all.
  if (discriminator !== undefined) {
    const tag = discriminator.name;
    const allowed = discriminator.values.map((v) => String(v as string));
    const got = (value as Record<string, unknown>)[tag];
    if (got === undefined) {
      return [
        {
          segments,
          anchor: "key",
          message: `missing required field \`${tag}\`: add \`${tag}: ${allowed[0]}\` (or ${allowed
            .slice(1)
            .map((a) => `\`${a}\``)
            .join(", ")})`,
        },
      ];
    }
    return [
      { segments: [...segments, tag], anchor: "value", message: oneOfValues(allowed, got), value: got },
    ];
  }
  // Fields no branch knows: report them with a suggestion from every branch's fields.
  const known = new Set(branches.flatMap((b) => Object.keys(propertiesOf(ctx.root, b))));
  const unknown = present.filter((k) => !known.has(k));
  if (unknown.length > 0) {
    return unknown.map((k) => {
      const near = closest(k, [...known]);
      return {
        segments: [...segments, k],
        anchor: "key" as const,
        message: `unknown field \`${k}\`: ${near !== undefined ? `did you mean \`${near}\`?` : `this takes one of ${orList(forms)}`}`,
      };
    });
  }
  const fields = present.map((k) => `\`${k}\``);
  return [
    {
      segments,
      anchor: "key",
      message:
        present.length === 0
          ? `must not be empty: give one of ${orList(forms)}`
          : `has ${orList(fields).replace(/ or /, " and ")}, which do not make one of ${orList(forms)}: keep the fields of exactly one`,
    },
  ];
}
