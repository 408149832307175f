/**
 * The Pulumi package schema format as servicevm writes it
 * (https://www.pulumi.com/docs/iac/extending-pulumi/schema/), and references to this package's types.
 */
import { PACKAGE } from "../tokens";

/** Pulumi's built-in "any value" type. */
export const ANY = "pulumi.json#/Any";

// Pulumi package schema format (https://www.pulumi.com/docs/iac/extending-pulumi/schema/). The
// SDK's `PackageSpec` types lack unions, `const`, `secret` and the package metadata; these add them.

export interface PrimitiveTypeSpec {
  type: "string" | "integer" | "number" | "boolean";
}
export interface ArrayTypeSpec {
  type: "array";
  items: TypeSpec;
}
export interface MapTypeSpec {
  type: "object";
  additionalProperties: TypeSpec;
}
export interface NamedTypeSpec {
  $ref: string;
}
export interface DiscriminatorSpec {
  propertyName: string;
  mapping: Record<string, string>;
}
export interface UnionTypeSpec {
  oneOf: TypeSpec[];
  discriminator?: DiscriminatorSpec;
}
export type TypeSpec = PrimitiveTypeSpec | ArrayTypeSpec | MapTypeSpec | NamedTypeSpec | UnionTypeSpec;

export type PropertySpec = TypeSpec & {
  description?: string;
  const?: string | number | boolean;
  secret?: boolean;
};

export interface ObjectTypeSpec {
  type: "object";
  description?: string;
  properties: Record<string, PropertySpec>;
  required?: string[];
}
export interface EnumValueSpec {
  name: string;
  value: string;
  description?: string;
}
export interface EnumTypeSpec {
  type: "string";
  description?: string;
  enum: EnumValueSpec[];
}
export type ComplexTypeSpec = ObjectTypeSpec | EnumTypeSpec;

export interface ResourceSpec extends ObjectTypeSpec {
  isComponent?: boolean;
  inputProperties: Record<string, PropertySpec>;
  requiredInputs?: string[];
}

export interface PackageSpec {
  name: string;
  displayName: string;
  version: string;
  description: string;
  license: string;
  meta: { moduleFormat: string };
  language: {
    nodejs: { packageName: string };
    python: { packageName: string };
    go: { importBasePath: string };
    csharp: { rootNamespace: string };
  };
  config: Record<string, never>;
  provider: { description: string };
  types: Record<string, ComplexTypeSpec>;
  resources: Record<string, ResourceSpec>;
}

/** A type token of this package. */
export function typeToken(name: string): string {
  return `${PACKAGE}:index:${name}`;
}

/** A `$ref` to a type of this package. */
export function typeRef(name: string): NamedTypeSpec {
  return { $ref: `#/types/${typeToken(name)}` };
}
