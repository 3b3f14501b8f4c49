// kernelhardening:index:Lockdown — observe -> plan -> apply -> verify, wired to the provider contract.
import { ConnectionSchema, endpoint } from "../../ssh/connection";
import { Ctx, DiffResult, Props, ResourceHandler, zodFailures } from "../types";
import { connectionSecretPaths } from "../common";
import { applyLockdown, observeLockdown } from "./host";
import { isLevel, Level, LockdownInputs, LockdownInputsSchema, LockdownObject, parseLockdownFile, Persistence } from "./model";
import { diffLockdown, driftWarning, LockdownState, planApply, planDelete, rebootWarning, stateFromObservation, unverified } from "./plan";

export const LOCKDOWN_TOKEN = "kernelhardening:index:Lockdown";

const INPUT_KEYS = ["connection", "mode", "previewReadsHost"];

function pickInputs(p: Props): Props {
    return Object.fromEntries(Object.entries(p).filter(([k, v]) => INPUT_KEYS.includes(k) && v !== undefined && v !== null));
}

function idFor(inp: LockdownInputs): string {
    return `${endpoint(inp.connection)}:lockdown`;
}

function outputsOf(inp: LockdownInputs, st: LockdownState): Props {
    return { ...inp, ...st };
}

function recordedOf(outputs: Props): { persistence?: Persistence; previousCmdlineValue: string | null } {
    return {
        persistence: outputs.persistence as Persistence | undefined,
        previousCmdlineValue: (outputs.previousCmdlineValue ?? null) as string | null,
    };
}

/** Observe, plan, apply (two round trips), then verify what is in force from the apply's own observation. */
async function applyAndVerify(ctx: Ctx, inp: LockdownInputs, recorded: { persistence?: Persistence; previousCmdlineValue: string | null }): Promise<Props> {
    const where = endpoint(inp.connection);
    const obs = await observeLockdown(inp.connection);
    const plan = planApply(inp.mode, obs, recorded);
    const after = plan.steps.length ? await applyLockdown(inp.connection, plan.steps) : obs;
    const st = stateFromObservation(inp.mode, after, plan.previousCmdlineValue);
    const bad = unverified(inp.mode, st);
    if (bad.length) throw new Error(`${where}: lockdown not as wanted after apply: ${bad.join("; ")}`);
    for (const a of after.actions) ctx.info(`${where}: ${describeAction(a)}`);
    const warning = rebootWarning(st.currentLevel, inp.mode, st.persistedIn);
    if (warning) ctx.warn(`${where}: ${warning}`);
    return outputsOf(inp, st);
}

/** Errors from planning name the host, as every message about a host does. */
async function atHost<T>(where: string, fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (err) {
        const msg = (err as Error).message;
        throw new Error(msg.startsWith(where) ? msg : `${where}: ${msg}`);
    }
}

function describeAction(a: string): string {
    if (a === "mounted") return "mounted securityfs on /sys/kernel/security";
    if (a.startsWith("raised ")) return `raised lockdown from ${a.slice(7)}`;
    return a;
}

export const lockdownResource: ResourceHandler = {
    token: LOCKDOWN_TOKEN,
    secretPaths: connectionSecretPaths,
    // The engine refreshes before an update, so `pulumi preview` shows drift without --refresh;
    // previewReadsHost: false keeps previews offline.
    refreshBeforeUpdate: (outputs) => outputs.previewReadsHost !== false,

    check(news, unknownProps) {
        const known: Props = { ...news };
        // Unknown values (preview) are checked once they are known.
        for (const p of unknownProps) delete known[p];
        const schema = unknownProps.size ? LockdownObject.partial() : LockdownInputsSchema;
        const r = schema.safeParse(known);
        if (!r.success) return { inputs: news, failures: zodFailures(r.error.issues) };
        return { inputs: { ...(r.data as Props), ...Object.fromEntries([...unknownProps].map((p) => [p, news[p]])) }, failures: [] };
    },

    async diff(ctx, { olds, news, unknownProps }): Promise<DiffResult> {
        if (unknownProps.size) {
            // Still unknown: show what may change, never touch a host.
            return { changes: [...unknownProps].map((p) => ({ path: p, kind: "update" as const, replace: p === "connection" })), deleteBeforeReplace: true };
        }
        const want = LockdownInputsSchema.parse(news);
        const oldConn = ConnectionSchema.safeParse(olds.connection);
        const host = oldConn.success ? oldConn.data.host : "";
        const port = oldConn.success ? oldConn.data.port : 22;
        const changes = diffLockdown(
            {
                mode: isLevel(olds.mode) ? olds.mode : null,
                persistence: olds.persistence as Persistence | undefined,
                persistedContent: (olds.persistedContent ?? null) as string | null,
                host,
                port,
            },
            { mode: want.mode, host: want.connection.host, port: want.connection.port },
        );
        const replaced = changes.some((c) => c.replace);
        if (changes.length && !replaced) {
            const current = isLevel(olds.currentLevel) ? olds.currentLevel : undefined;
            const persistedIn = String(olds.persistedIn ?? "the persistence");
            const warning = (current && rebootWarning(current, want.mode, persistedIn)) ||
                driftWarning({ currentLevel: current, persistedMode: (olds.persistedMode ?? null) as Level | null, persistedIn: olds.persistedIn as string | undefined }, want.mode);
            if (warning) ctx.warn(`${endpoint(want.connection)}: ${warning}`);
        }
        return { changes, deleteBeforeReplace: true };
    },

    async create(ctx, inputs) {
        const inp = LockdownInputsSchema.parse(inputs);
        return { id: idFor(inp), outputs: await atHost(endpoint(inp.connection), () => applyAndVerify(ctx, inp, { previousCmdlineValue: null })) };
    },

    async read(_ctx, { id, outputs, inputs }) {
        const source = Object.keys(inputs).length ? inputs : outputs;
        const parsed = LockdownInputsSchema.safeParse(pickInputs(source));
        if (!parsed.success) throw new Error(`cannot refresh ${id}: the recorded inputs are not valid (${parsed.error.issues[0]?.message}); import needs the resource declared in the program`);
        const inp = parsed.data;
        const st = await atHost(endpoint(inp.connection), async () =>
            stateFromObservation(inp.mode, await observeLockdown(inp.connection), recordedOf(outputs).previousCmdlineValue));
        return { id, outputs: outputsOf(inp, st), inputs: pickInputs(source) };
    },

    async update(ctx, { olds, news }) {
        const inp = LockdownInputsSchema.parse(news);
        return atHost(endpoint(inp.connection), () => applyAndVerify(ctx, inp, recordedOf(olds)));
    },

    async delete(ctx, { outputs }) {
        // Only the connection: after a refresh that found the persistence gone, `mode` in state is the
        // level found ("none"), which is no valid input but still a resource to delete.
        const connection = ConnectionSchema.parse(outputs.connection);
        const where = endpoint(connection);
        const obs = await observeLockdown(connection);
        const steps = planDelete(obs, recordedOf(outputs));
        const after = steps.length ? await applyLockdown(connection, steps) : obs;
        for (const a of after.actions) ctx.info(`${where}: ${describeAction(a)}`);
        const current = after.lockdownFile === null ? undefined : parseLockdownFile(after.lockdownFile)?.current;
        if (current) {
            const warning = rebootWarning(current, "none", String(outputs.persistedIn ?? "the persistence"));
            if (warning) ctx.warn(`${where}: ${warning}`);
        }
    },
};
