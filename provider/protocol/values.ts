// Pulumi's wire encoding of property values (google.protobuf.Struct plus "special" objects for
// secrets and unknowns) to and from plain JS values for the domain code.
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { UNKNOWN } from "./contract";

export { UNKNOWN };

export const SPECIAL_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Decoded {
    value: Record<string, unknown>;
    /** Top-level property names whose value held a secret anywhere inside. */
    secretProps: Set<string>;
    /** Top-level property names whose value is, or holds, an unknown (preview only). */
    unknownProps: Set<string>;
}

function isSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SPECIAL_SIG] === SECRET_SIG;
}

/** Strips secret wrappers; reports whether a secret or an unknown was seen. */
function unwrap(v: unknown, flags: { secret: boolean; unknown: boolean }): unknown {
    if (v === UNKNOWN) {
        flags.unknown = true;
        return v;
    }
    if (isSecret(v)) {
        flags.secret = true;
        return unwrap(v.value, flags);
    }
    if (Array.isArray(v)) return v.map((x) => unwrap(x, flags));
    if (typeof v === "object" && v !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = unwrap(x, flags);
        return out;
    }
    return v;
}

export function decode(s: Struct | undefined): Decoded {
    const raw = (s?.toJavaScript() ?? {}) as Record<string, unknown>;
    const value: Record<string, unknown> = {};
    const secretProps = new Set<string>();
    const unknownProps = new Set<string>();
    for (const [k, v] of Object.entries(raw)) {
        const flags = { secret: false, unknown: false };
        value[k] = unwrap(v, flags);
        if (flags.secret) secretProps.add(k);
        if (flags.unknown) unknownProps.add(k);
    }
    return { value, secretProps, unknownProps };
}

export function secret(v: unknown): unknown {
    return { [SPECIAL_SIG]: SECRET_SIG, value: v };
}

/**
 * Encodes outputs; `secretPaths` are dotted paths wrapped as secrets (a path that does not exist is
 * skipped), `secretProps` whole top-level properties.
 */
export function encode(
    value: Record<string, unknown>,
    secretProps: Iterable<string> = [],
    secretPaths: string[] = [],
): Struct {
    const copy = JSON.parse(JSON.stringify(value, (_k, v) => (v === undefined ? undefined : v))) as Record<
        string,
        unknown
    >;
    for (const path of secretPaths) {
        const parts = path.split(".");
        let node: unknown = copy;
        for (let i = 0; i < parts.length - 1 && node; i++) node = (node as Record<string, unknown>)[parts[i]];
        const last = parts[parts.length - 1];
        if (node && typeof node === "object" && (node as Record<string, unknown>)[last] !== undefined) {
            (node as Record<string, unknown>)[last] = secret((node as Record<string, unknown>)[last]);
        }
    }
    for (const p of secretProps) if (copy[p] !== undefined && !isSecret(copy[p])) copy[p] = secret(copy[p]);
    return Struct.fromJavaScript(copy as Record<string, never>);
}
