// kernelhardening:index:Lockdown — observe -> plan -> apply -> verify.
import { Connection, endpoint } from "../../ssh/connection";
import { Ctx } from "../../protocol/contract";
import { defineResource } from "../../framework/define";
import { applyLockdown, observeLockdown } from "./host";
import {
    LockdownInputs,
    LockdownInputsSchema,
    LockdownObject,
    LockdownStateSchema,
    parseLockdownFile,
    Persistence,
} from "./model";
import {
    choosePersistence,
    diffLockdown,
    driftWarning,
    persistedState,
    planApply,
    planDelete,
    rebootWarning,
    stateFromObservation,
    unverified,
} from "./plan";

export const LOCKDOWN_TOKEN = "kernelhardening:index:Lockdown";

type Recorded = { persistence?: Persistence; previousCmdlineValue: string | null };

/** Observe, plan, apply (two round trips), then verify what is in force from the apply's own observation. */
async function applyAndVerify(ctx: Ctx, inp: LockdownInputs, recorded: Recorded) {
    const where = endpoint(inp.connection);
    const obs = await observeLockdown(inp.connection);
    const plan = planApply(inp.mode, obs, recorded);
    const after = plan.steps.length ? await applyLockdown(inp.connection, plan.steps) : obs;
    const st = stateFromObservation(inp.mode, after, plan.previousCmdlineValue);
    const bad = unverified(inp.mode, st);
    if (bad.length) throw new Error(`lockdown not as wanted after apply: ${bad.join("; ")}`);
    for (const a of after.actions) ctx.info(`${where}: ${describeAction(a)}`);
    const warning = rebootWarning(st.currentLevel, inp.mode, st.persistedIn);
    if (warning) ctx.warn(`${where}: ${warning}`);
    return { ...inp, ...st };
}

function describeAction(a: string): string {
    if (a === "mounted") return "mounted securityfs on /sys/kernel/security";
    if (a.startsWith("raised ")) return `raised lockdown from ${a.slice(7)}`;
    return a;
}

/** The level persisted for the next boot, else the one in force; none of either is nothing to import. */
async function importLockdown(_ctx: Ctx, connection: Connection) {
    const obs = await observeLockdown(connection);
    const choice = choosePersistence(obs);
    const persisted = "error" in choice ? null : persistedState(choice.persistence, obs).mode;
    const current = obs.lockdownFile === null ? undefined : parseLockdownFile(obs.lockdownFile)?.current;
    const mode = persisted && persisted !== "none" ? persisted : current !== "none" ? current : undefined;
    if (!mode) return undefined;
    const inputs = LockdownInputsSchema.parse({ connection, mode });
    return { inputs, outputs: { ...inputs, ...stateFromObservation(inputs.mode, obs, null) } };
}

export const lockdownResource = defineResource({
    token: LOCKDOWN_TOKEN,
    inputObject: LockdownObject,
    inputs: LockdownInputsSchema,
    state: LockdownStateSchema,
    replaceOnChanges: ["connection"],
    id: (inp) => `${endpoint(inp.connection)}:lockdown`,

    diff(ctx, { olds, news }) {
        const changes = diffLockdown(
            { ...olds, host: olds.connection?.host ?? "", port: olds.connection?.port ?? 22 },
            { mode: news.mode, host: news.connection.host, port: news.connection.port },
        );
        if (changes.length && !changes.some((c) => c.replace)) {
            const current = olds.currentLevel;
            const warning =
                (current && rebootWarning(current, news.mode, olds.persistedIn ?? "the persistence")) ||
                driftWarning(olds, news.mode);
            if (warning) ctx.warn(`${endpoint(news.connection)}: ${warning}`);
        }
        return changes;
    },

    create: (ctx, inputs) => applyAndVerify(ctx, inputs, { previousCmdlineValue: null }),
    read: async (_ctx, { inputs, olds }) => ({
        ...inputs,
        ...stateFromObservation(inputs.mode, await observeLockdown(inputs.connection), olds.previousCmdlineValue),
    }),
    update: (ctx, { olds, news }) => applyAndVerify(ctx, news, olds),

    async delete(ctx, { id, olds }) {
        // Only the connection: after a refresh that found the persistence gone, `mode` in state is the
        // level found ("none"), which is no valid input but still a resource to delete.
        const connection = olds.connection;
        if (!connection) throw new Error(`cannot delete ${id}: the recorded connection is not valid`);
        const where = endpoint(connection);
        const obs = await observeLockdown(connection);
        const steps = planDelete(obs, olds);
        const after = steps.length ? await applyLockdown(connection, steps) : obs;
        for (const a of after.actions) ctx.info(`${where}: ${describeAction(a)}`);
        const current = after.lockdownFile === null ? undefined : parseLockdownFile(after.lockdownFile)?.current;
        if (current) {
            const warning = rebootWarning(current, "none", olds.persistedIn ?? "the persistence");
            if (warning) ctx.warn(`${where}: ${warning}`);
        }
    },
    import: { format: "[user@]host:port:lockdown", rest: /^lockdown$/, read: importLockdown },
});
