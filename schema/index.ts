/** The fleet spec language: JSON Schema, loader with exact positions, errors. */
export { checkSpec, fleetSchema, loadSpec, parseSpec } from "./loader";
export type { CheckResult } from "./loader";
export { formatIssue, SpecError } from "./errors";
export type { SpecIssue } from "./errors";
export { decodeUtf8 } from "./text";
