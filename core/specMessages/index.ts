/**
 * Turns ajv's errors into servicevm's: one per problem, pointing at the key or value at fault,
 * saying the rule with the actual value, then the fix (STYLE point 4). `oneOf` failures are
 * reduced to the branch the user evidently meant, or to one summary when no branch fits.
 *
 * By concern: `keywords.ts` (one message per JSON Schema keyword), `patterns.ts` (the messages a
 * schema's `patternMessage` names), `oneOf.ts` (choices), `render.ts` (quoting values),
 * `schemaNodes.ts` (reading the schema and the data).
 */
import type { ErrorObject } from "ajv";
import type { Ctx, RawIssue, SchemaNode } from "./issue";
import { keywordIssue } from "./keywords";
import { branchOf, enclosingChoice, reduceOneOf } from "./oneOf";

export { GOT, type Anchor, type RawIssue, type Segment } from "./issue";
export { show } from "./render";
export { PATTERN_KINDS } from "./patterns";

function isChoice(e: ErrorObject): boolean {
  return e.keyword === "oneOf" || e.keyword === "anyOf";
}

/** All ajv errors of one validation (run with `allErrors` and `verbose`) as servicevm issues. */
export function toRawIssues(root: SchemaNode, data: unknown, errors: ErrorObject[]): RawIssue[] {
  const ctx: Ctx = { root, data };
  const choices = new Map<string, ErrorObject>();
  for (const e of errors) if (isChoice(e)) choices.set(`${e.instancePath}\u0000${e.schemaPath}`, e);

  // Each error belongs to its nearest enclosing oneOf (found by path prefixes, so this stays linear).
  const members = new Map<ErrorObject | undefined, ErrorObject[]>();
  for (const e of errors) {
    const parent = choices.size === 0 ? undefined : enclosingChoice(e, choices);
    let list = members.get(parent);
    if (!list) members.set(parent, (list = []));
    list.push(e);
  }

  const issues: RawIssue[] = [];
  const emit = (e: ErrorObject): void => {
    if (!isChoice(e)) {
      const issue = keywordIssue(ctx, e);
      if (issue) issues.push(issue);
      return;
    }
    const byBranch = new Map<number, ErrorObject[]>();
    for (const m of members.get(e) ?? []) {
      const k = branchOf(e, m);
      if (k === undefined) continue;
      let list = byBranch.get(k);
      if (!list) byBranch.set(k, (list = []));
      list.push(m);
    }
    const { keep, issues: summary } = reduceOneOf(ctx, e, byBranch);
    for (const issue of summary) issues.push(issue);
    for (const m of keep) emit(m);
  };
  for (const e of members.get(undefined) ?? []) emit(e);
  return issues;
}
