// What schema/ still says by hand: tokens, resource descriptions, and the outputs (properties a
// resource reports that are not inputs, and types only outputs use). Inputs come from the models.
import type { z } from "zod/v4";
import { PropertySpec, typeRef, TypeSpec } from "./convert";

export const str = (description: string): PropertySpec => ({ type: "string", description });
export const int = (description: string): PropertySpec => ({ type: "integer", description });
export const bool = (description: string): PropertySpec => ({ type: "boolean", description });
export const arrayOf = (type: string, description: string): PropertySpec => ({ type: "array", items: { type }, description });
export const mapOf = (type: string, description: string): PropertySpec => ({ type: "object", additionalProperties: { type }, description });
export const ref = (name: string, description: string): PropertySpec => ({ $ref: typeRef(name), description });

export interface ResourceDef {
    token: string;
    description: string;
    /** The model of the inputs (before transforms): descriptions, defaults, enums and required fields. */
    inputs: z.ZodType;
    isComponent?: boolean;
    /** False for a resource that does not take the provider's connection (written without defineResource). */
    connectionFromProvider?: boolean;
    /** Output-only properties, and inputs whose output means something else (replacing their description). */
    outputs: Record<string, PropertySpec>;
    /** Output properties always present in state. */
    required: string[];
    /** Types only outputs use, by short name. */
    outputTypes?: Record<string, TypeSpec>;
}

export interface FunctionDef {
    token: string;
    description: string;
    inputs: z.ZodType;
    outputs: Record<string, PropertySpec>;
    required: string[];
    outputTypes?: Record<string, TypeSpec>;
}

/** The `## Import` section of a resource's description: its id format, read with the provider's connection. */
export function importSection(token: string, idFormat: string, example: string): string {
    return (
        `\n\n## Import\n\nThe id is \`${idFormat}\`, e.g. \`${example}\`. The import reads the host with the provider's ` +
        "`connection` (`kernelhardening:connection` in the stack config, or the `connection` of an explicit provider), " +
        "its host, port and user taken from the id:\n\n```sh\n" +
        `pulumi import ${token} NAME '${example}'\n\`\`\``
    );
}
