// Turns the zod models into Pulumi schema properties and types, so each field's description, default
// and enum are written once, next to the field (`.describe()`, `.default()`, `z.enum`). A schema
// marked `.meta({ pulumiType: "Name", typeDescription })` becomes the named type
// kernelhardening:index:Name (an object type, or an enum type for a string enum); `.meta({ secret: true })`
// marks a Pulumi secret. Anything the Pulumi schema cannot say is an error, never silently widened.
import { z } from "zod/v4";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const PACKAGE = "kernelhardening";

export interface PropertySpec {
    type?: string;
    $ref?: string;
    items?: PropertySpec;
    additionalProperties?: PropertySpec;
    description?: string;
    default?: string | number | boolean;
    secret?: boolean;
}

export interface TypeSpec {
    type: "object" | "string";
    description?: string;
    properties?: Record<string, PropertySpec>;
    required?: string[];
    enum?: { value: string }[];
}

export interface ObjectSpec {
    properties: Record<string, PropertySpec>;
    required: string[];
}

export const typeToken = (name: string) => `${PACKAGE}:index:${name}`;
export const typeRef = (name: string) => `#/types/${typeToken(name)}`;

const PRIMITIVES = new Set(["string", "integer", "number", "boolean"]);

/** Named types found while converting, shared by all conversions of one schema build. */
export class TypeCollector {
    readonly types: Record<string, TypeSpec> = {};

    /** The properties and required list of a zod object (its input side: fields with defaults are optional). */
    object(schema: z.ZodType, where: string): ObjectSpec {
        const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "throw" }) as Json;
        if (js.type !== "object" || !js.properties) throw new Error(`${where}: not an object schema`);
        return this.objectSpec(js, where);
    }

    private objectSpec(js: Json, where: string): ObjectSpec {
        const properties: Record<string, PropertySpec> = {};
        for (const [k, p] of Object.entries<Json>(js.properties ?? {})) properties[k] = this.property(p, `${where}.${k}`);
        return { properties, required: [...(js.required ?? [])] };
    }

    private property(p: Json, where: string): PropertySpec {
        const out: PropertySpec = this.shape(p, where);
        const description = p.description ?? p.typeDescription;
        if (description) out.description = description;
        if (p.secret === true) out.secret = true;
        // Pulumi defaults are primitives only ({} and [] defaults stay in the model).
        if (["string", "number", "boolean"].includes(typeof p.default)) out.default = p.default;
        return out;
    }

    private shape(p: Json, where: string): PropertySpec {
        if (typeof p.pulumiType === "string") {
            this.define(p.pulumiType, p, where);
            return { $ref: typeRef(p.pulumiType) };
        }
        if (p.$ref) throw new Error(`${where}: shared or recursive schema (${p.$ref}): name it with .meta({ pulumiType })`);
        if (p.enum) throw new Error(`${where}: an enum must be a named type: add .meta({ pulumiType, typeDescription })`);
        if (p.anyOf) {
            const members = (p.anyOf as Json[]).filter((m) => m.type !== "null");
            if (members.length === 1) return this.shape(members[0], where);
            // string | number | boolean: the wire form of such values is a string.
            if (members.every((m) => PRIMITIVES.has(m.type) && !m.enum)) return { type: "string" };
            throw new Error(`${where}: a union of non-primitive types has no Pulumi schema form`);
        }
        if (PRIMITIVES.has(p.type)) return { type: p.type };
        // z.unknown(): any value (Pulumi's Any).
        if (Object.keys(p).every((k) => k === "description")) return { $ref: "pulumi.json#/Any" };
        if (p.type === "array") return { type: "array", items: this.shape(p.items ?? {}, `${where}[]`) };
        if (p.type === "object" && p.additionalProperties && !p.properties) {
            return { type: "object", additionalProperties: this.shape(p.additionalProperties, `${where}{}`) };
        }
        if (p.type === "object") throw new Error(`${where}: a nested object must be a named type: add .meta({ pulumiType })`);
        throw new Error(`${where}: no Pulumi schema form for ${JSON.stringify(p).slice(0, 120)}`);
    }

    private define(name: string, p: Json, where: string): void {
        const spec: TypeSpec = p.type === "object"
            ? { type: "object", ...this.objectSpec(p, where) }
            : p.type === "string" && Array.isArray(p.enum)
                ? { type: "string", enum: (p.enum as string[]).map((value) => ({ value })) }
                : (() => { throw new Error(`${where}: pulumiType ${name} must be an object or a string enum`); })();
        if (p.typeDescription) spec.description = p.typeDescription;
        if (spec.required?.length === 0) delete spec.required;
        this.add(name, spec, where);
    }

    /** Adds a named type; the same name twice must mean the same type. */
    add(name: string, spec: TypeSpec, where: string): void {
        const token = typeToken(name);
        const seen = this.types[token];
        if (seen && JSON.stringify(seen) !== JSON.stringify(spec)) {
            throw new Error(`${where}: type ${name} is defined twice, differently:\n${JSON.stringify(seen)}\n${JSON.stringify(spec)}`);
        }
        this.types[token] = spec;
    }
}
