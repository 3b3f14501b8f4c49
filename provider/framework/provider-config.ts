// The provider's own configuration: a default `connection` for its resources, as stack config
// `kernelhardening:connection` (default provider) or `new kh.Provider(name, { connection })`.
// Pure: CheckConfig, DiffConfig and Configure in protocol/server.ts call these.
import { ConnectionSchema, endpoint } from "../ssh/connection";
import {
    CheckFailure,
    containsUnknown,
    ProviderConfig,
    PropertyChange,
    Props,
    zodFailures,
} from "../protocol/contract";

export const CONFIG_KEY = "kernelhardening:connection";

/**
 * The SDKs send an object-typed provider input as JSON text, and stack config is text too; the
 * engine may also send the object itself. Returns undefined for a connection that is not set.
 */
function connectionValue(v: unknown): { value?: unknown; failure?: CheckFailure } {
    if (v === undefined || v === null || v === "") return {};
    if (typeof v !== "string" || containsUnknown(v)) return { value: v };
    try {
        return { value: JSON.parse(v) };
    } catch {
        return { failure: { property: "connection", reason: `connection: ${CONFIG_KEY} must be a JSON object` } };
    }
}

/** CheckConfig: the connection parsed and validated, named by property, before any host is contacted. */
export function checkProviderConfig(news: Props): { inputs: Props; failures: CheckFailure[] } {
    const { value, failure } = connectionValue(news.connection);
    if (failure) return { inputs: news, failures: [failure] };
    if (value === undefined) {
        const { connection: _absent, ...rest } = news;
        return { inputs: rest, failures: [] };
    }
    if (containsUnknown(value)) return { inputs: { ...news, connection: value }, failures: [] };
    const r = ConnectionSchema.safeParse(value);
    if (!r.success) {
        const failures = zodFailures(r.error.issues.map((i) => ({ ...i, path: ["connection", ...i.path] })));
        return { inputs: news, failures };
    }
    return { inputs: { ...news, connection: r.data }, failures: [] };
}

/** Configure: what the resources of this provider default to. */
export function providerConfig(args: Props): ProviderConfig {
    const { value } = connectionValue(args.connection);
    return value === undefined ? {} : { connection: value };
}

/** DiffConfig: a provider pointed at another host replaces its resources; other changes update it. */
export function diffProviderConfig(olds: Props, news: Props): PropertyChange[] {
    const before = connectionValue(olds.connection).value;
    const after = connectionValue(news.connection).value;
    if (containsUnknown(after)) return [{ path: "connection", kind: "update", replace: true }];
    if (JSON.stringify(before) === JSON.stringify(after)) return [];
    const where = (v: unknown) => {
        const r = ConnectionSchema.safeParse(v);
        return r.success ? endpoint(r.data) : undefined;
    };
    // Gaining or losing the default is no new host for the resources that set their own connection;
    // those that used it see the change in their own diff.
    if (before === undefined) return [{ path: "connection", kind: "add" }];
    if (after === undefined) return [{ path: "connection", kind: "delete" }];
    return [{ path: "connection", kind: "update", replace: where(before) !== where(after) }];
}
