// What every resource with a `connection` shares: its secret fields, and surviving rotated credentials.
import { ConnectionSchema, SECRET_CONNECTION_FIELDS } from "../ssh/connection";
import { CredentialError } from "../ssh/pool";
import { Props, ResourceHandler } from "../protocol/contract";

export const connectionSecretPaths: string[] = [
    ...SECRET_CONNECTION_FIELDS.map((f) => `connection.${f}`),
    ...SECRET_CONNECTION_FIELDS.map((f) => `connection.proxy.${f}`),
];

/** Recorded in state when a refresh could not get in with the recorded connection. */
export const REFRESH_REFUSED = "__refreshRefused";

/**
 * The connection as it decides where we land and how we prove who we are; the agent socket path
 * changes per login, so it does not count.
 */
function connectionIdentity(v: unknown): string | undefined {
    const r = ConnectionSchema.safeParse(v);
    if (!r.success) return undefined;
    const strip = (c: Record<string, unknown>) => {
        const { agentSocketPath: _a, ...rest } = c;
        return rest;
    };
    const c = strip(r.data);
    if (r.data.proxy) c.proxy = strip(r.data.proxy);
    return JSON.stringify(c);
}

/**
 * Rotated credentials. The engine refreshes a resource with the connection recorded in state, before the
 * program's new connection is known, so after a host key, password or key rotation that refresh cannot get
 * in. Rather than fail every `up` until state is edited by hand, such a read keeps the recorded state (with
 * a warning) and marks it; the diff then plans an update of `connection`, and the update dials with the
 * program's connection — which verifies the host key again, so a host that is really not the one pinned
 * still fails there. A connection that changed in the program is an update for the same reason: state must
 * record the connection that works, or the next refresh fails.
 */
export function withConnectionRotation(h: ResourceHandler): ResourceHandler {
    return {
        ...h,
        async read(ctx, req) {
            try {
                return await h.read(ctx, req);
            } catch (err) {
                const recorded = Object.keys(req.outputs).length > 0;
                if (!(err instanceof CredentialError) || !recorded) throw err;
                ctx.warn(
                    `could not refresh: ${err.message}. Kept the state recorded at the last update; ` +
                        "if the host key or credentials were rotated, the next `pulumi up` reconnects with the connection " +
                        "in your program and verifies it",
                );
                return { id: req.id, outputs: { ...req.outputs, [REFRESH_REFUSED]: err.message }, inputs: req.inputs };
            }
        },
        async diff(ctx, req) {
            const r = await h.diff(ctx, req);
            if (
                req.unknownProps.has("connection") ||
                r.changes.some((c) => c.path === "connection" || c.path.startsWith("connection."))
            )
                return r;
            const refused = typeof req.olds[REFRESH_REFUSED] === "string";
            const changed = connectionIdentity(req.olds.connection) !== connectionIdentity(req.news.connection);
            return refused || changed ? { ...r, changes: [...r.changes, { path: "connection", kind: "update" }] } : r;
        },
        async update(ctx, req) {
            const { [REFRESH_REFUSED]: _refused, ...olds } = req.olds as Props;
            return h.update(ctx, { ...req, olds });
        },
    };
}
