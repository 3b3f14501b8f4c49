// kernelhardening:index:KernelCmdline — observe -> plan -> apply -> verify, wired to the provider contract.
import { ConnectionSchema, endpoint } from "../../ssh/connection";
import { Ctx, DiffResult, Props, ResourceHandler, zodFailures } from "../../protocol/contract";
import { connectionSecretPaths } from "../../framework/rotation";
import { applyKcl, observeKcl } from "./host";
import { KERNEL_CMDLINE_TOKEN, KernelCmdlineInputs, KernelCmdlineInputsSchema, KernelCmdlineObject } from "./model";
import { diffKcl, driftWarning, KclState, planApply, planDelete, stateFromObservation, unverified } from "./plan";
import { lastValue } from "../../kernel/cmdline";

const INPUT_KEYS = ["connection", "parameters", "allowOneWay", "previewReadsHost"];

function pickInputs(p: Props): Props {
    const keep = ([k, v]: [string, unknown]) => INPUT_KEYS.includes(k) && v !== undefined && v !== null;
    return Object.fromEntries(Object.entries(p).filter(keep));
}

function outputsOf(inp: KernelCmdlineInputs, st: KclState): Props {
    return { ...inp, ...st };
}

const previousOf = (o: Props) => (o.previousValues ?? {}) as Record<string, string | null>;

function report(ctx: Ctx, where: string, st: KclState) {
    for (const o of st.overriddenBy) {
        ctx.warn(`${where}: ${o.name}: ${o.file} sets it to ${JSON.stringify(o.value)}, which is what the next boot's kernel sees`);
    }
    if (st.pendingReboot.length) ctx.info(`${where}: waiting for a reboot: ${st.pendingReboot.join(", ")} (rebootRequired is true)`);
}

/** Errors from planning name the host, as every message about a host does. */
async function atHost<T>(where: string, fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (err) {
        const msg = (err as Error).message;
        throw new Error(msg.startsWith(where) ? msg : `${where}: ${msg}`, { cause: err });
    }
}

type Recorded = { parameters?: Record<string, string>; previousValues?: Record<string, string | null> };

async function applyAndVerify(ctx: Ctx, inp: KernelCmdlineInputs, recorded: Recorded): Promise<Props> {
    const where = endpoint(inp.connection);
    return atHost(where, async () => {
        const obs = await observeKcl(inp.connection);
        const plan = planApply(inp, obs, recorded);
        const after = plan.steps.length ? await applyKcl(inp.connection, plan.steps) : obs;
        const st = stateFromObservation(inp.parameters, after, plan.previousValues);
        const bad = unverified(inp, st);
        if (bad.length) throw new Error(`${where}: kernel parameters not as wanted after apply: ${bad.join("; ")}`);
        for (const a of after.actions) ctx.info(`${where}: ${a}`);
        report(ctx, where, st);
        return outputsOf(inp, st);
    });
}

export const kernelCmdlineResource: ResourceHandler = {
    token: KERNEL_CMDLINE_TOKEN,
    secretPaths: connectionSecretPaths,
    // The engine refreshes before an update, so `pulumi preview` shows drift without --refresh.
    refreshBeforeUpdate: (outputs) => outputs.previewReadsHost !== false,

    async check(news, unknownProps) {
        const known: Props = { ...news };
        for (const p of unknownProps) delete known[p];
        const schema = unknownProps.size ? KernelCmdlineObject.partial() : KernelCmdlineInputsSchema;
        const r = schema.safeParse(known);
        if (!r.success) return { inputs: news, failures: zodFailures(r.error.issues) };
        const stillUnknown = Object.fromEntries([...unknownProps].map((p) => [p, news[p]]));
        return { inputs: { ...(r.data as Props), ...stillUnknown }, failures: [] };
    },

    async diff(ctx, { olds, news, unknownProps }): Promise<DiffResult> {
        if (unknownProps.size) {
            return { changes: [...unknownProps].map((p) => ({ path: p, kind: "update" as const, replace: p === "connection" })), deleteBeforeReplace: true };
        }
        const want = KernelCmdlineInputsSchema.parse(news);
        const oldConn = ConnectionSchema.safeParse(olds.connection);
        const recorded = {
            parameters: (olds.parameters ?? {}) as Record<string, string>,
            persisted: (olds.persisted ?? {}) as Record<string, string>,
            persistedContent: (olds.persistedContent ?? null) as string | null,
            live: (olds.live ?? {}) as Record<string, string>,
            host: oldConn.success ? oldConn.data.host : "",
            port: oldConn.success ? oldConn.data.port : 22,
        };
        const changes = diffKcl(recorded, { ...want, host: want.connection.host, port: want.connection.port });
        const persistedIn = olds.persistedIn as string | undefined;
        const { persisted, parameters } = recorded;
        const warning = driftWarning({ persisted, persistedIn, parameters }, want.parameters);
        if (warning) ctx.warn(`${endpoint(want.connection)}: ${warning}`);
        return { changes, deleteBeforeReplace: true };
    },

    async create(ctx, inputs) {
        const inp = KernelCmdlineInputsSchema.parse(inputs);
        return { id: `${endpoint(inp.connection)}:kernel-cmdline`, outputs: await applyAndVerify(ctx, inp, {}) };
    },

    async read(ctx, { id, outputs, inputs }) {
        const source = Object.keys(inputs).length ? inputs : outputs;
        const parsed = KernelCmdlineInputsSchema.safeParse(pickInputs(source));
        if (!parsed.success) throw new Error(`cannot refresh ${id}: the recorded inputs are not valid (${parsed.error.issues[0]?.message}); import needs the resource declared in the program`);
        const inp = parsed.data;
        const where = endpoint(inp.connection);
        const st = await atHost(where, async () =>
            stateFromObservation(inp.parameters, await observeKcl(inp.connection), previousOf(outputs)));
        report(ctx, where, st);
        return { id, outputs: outputsOf(inp, st), inputs: pickInputs(source) };
    },

    async update(ctx, { olds, news }) {
        const inp = KernelCmdlineInputsSchema.parse(news);
        const parameters = (olds.parameters ?? {}) as Record<string, string>;
        return applyAndVerify(ctx, inp, { parameters, previousValues: previousOf(olds) });
    },

    async delete(ctx, { outputs }) {
        const connection = ConnectionSchema.parse(outputs.connection);
        const where = endpoint(connection);
        const params = (outputs.parameters ?? {}) as Record<string, string>;
        await atHost(where, async () => {
            const obs = await observeKcl(connection);
            const steps = planDelete(obs, params, previousOf(outputs));
            const after = steps.length ? await applyKcl(connection, steps) : obs;
            for (const a of after.actions) ctx.info(`${where}: ${a}`);
            const still = Object.keys(params).filter((n) => lastValue(after.boot.cmdline, n) !== undefined);
            if (still.length) ctx.warn(`${where}: ${still.join(", ")} stay${still.length === 1 ? "s" : ""} on the running kernel's command line until the host reboots (a reboot is needed; the next boot starts without ${still.length === 1 ? "it" : "them"})`);
            if (after.live["module.sig_enforce"] === "Y" && params["module.sig_enforce"] === "1") ctx.warn(`${where}: module signature enforcement stays on until the host reboots (the kernel cannot turn it off)`);
        });
    },
};
