// The contract between the Pulumi protocol layer and each resource's domain code.
// Values here are plain JS: secrets are unwrapped and re-wrapped by the protocol layer; a value the
// engine does not know yet (preview) is the UNKNOWN sentinel, anywhere inside a property.

/** What the engine sends for a value it does not know yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface CheckFailure {
    property: string;
    reason: string;
}

export interface CheckOutcome {
    inputs: Props;
    failures: CheckFailure[];
}

export type DiffKind = "add" | "delete" | "update";

export interface PropertyChange {
    /** Property path as Pulumi displays it, e.g. `entries["kernel.kptr_restrict"]`. */
    path: string;
    kind: DiffKind;
    replace?: boolean;
}

export interface DiffResult {
    changes: PropertyChange[];
    deleteBeforeReplace?: boolean;
}

export interface Ctx {
    /** Shown in the CLI against the resource being worked on. */
    warn(message: string): void;
    info(message: string): void;
}

export type Props = Record<string, unknown>;

/** What the provider was configured with: its resources' default connection, as given (maybe unknown). */
export interface ProviderConfig {
    connection?: unknown;
}

export interface ReadResult {
    id: string;
    outputs: Props;
    inputs: Props;
}

export interface ResourceHandler {
    token: string;
    /** Dotted output paths that are always secret (connection credentials). */
    secretPaths: string[];
    /** Whether the engine should read the resource (Read) before planning an update of it. */
    refreshBeforeUpdate?(outputs: Props): boolean;
    /** May read the host (a new resource checked against it at preview); `olds` is empty for a new resource. */
    check(news: Props, unknown: Set<string>, olds: Props, provider?: ProviderConfig): Promise<CheckOutcome>;
    diff(ctx: Ctx, req: { id: string; olds: Props; news: Props; unknownProps: Set<string> }): Promise<DiffResult>;
    create(ctx: Ctx, inputs: Props): Promise<{ id: string; outputs: Props }>;
    /** Returns undefined when the resource no longer exists. */
    /** Empty outputs and inputs: an import, with only the id to go on (and the provider's connection). */
    read(
        ctx: Ctx,
        req: { id: string; outputs: Props; inputs: Props; provider?: ProviderConfig },
    ): Promise<ReadResult | undefined>;
    update(ctx: Ctx, req: { id: string; olds: Props; news: Props }): Promise<Props>;
    delete(ctx: Ctx, req: { id: string; outputs: Props }): Promise<void>;
}

/** Path of a key inside a map property, as the engine's display expects it. */
export function mapPath(prop: string, key: string): string {
    return `${prop}[${JSON.stringify(key)}]`;
}

/** Zod issues -> check failures naming the property the user wrote. */
type Issue = { path: ReadonlyArray<PropertyKey>; message: string };

export function zodFailures(issues: ReadonlyArray<Issue>): CheckFailure[] {
    return issues.map((i) => {
        let property = "";
        for (const p of i.path) {
            if (typeof p === "symbol") continue;
            if (typeof p === "number") property += `[${p}]`;
            else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) property += property ? `.${p}` : p;
            else property += `[${JSON.stringify(p)}]`;
        }
        return { property, reason: property ? `${property}: ${i.message}` : i.message };
    });
}

/** Whether a value is, or holds, a value the engine does not know yet. */
export function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (typeof v === "object" && v !== null) return Object.values(v).some(containsUnknown);
    return false;
}
