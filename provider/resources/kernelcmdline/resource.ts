// kernelhardening:index:KernelCmdline — observe -> plan -> apply -> verify.
import { endpoint } from "../../ssh/connection";
import { Ctx } from "../../protocol/contract";
import { defineResource } from "../../framework/define";
import { lastValue } from "../../kernel/cmdline";
import { applyKcl, observeKcl } from "./host";
import { KERNEL_CMDLINE_TOKEN, KernelCmdlineInputs, KernelCmdlineObject, KernelCmdlineStateSchema } from "./model";
import { diffKcl, driftWarning, KclState, planApply, planDelete, stateFromObservation, unverified } from "./plan";

function report(ctx: Ctx, where: string, st: KclState) {
    for (const o of st.overriddenBy) {
        ctx.warn(`${where}: ${o.name}: ${o.file} sets it to ${JSON.stringify(o.value)}, which is what the next boot's kernel sees`);
    }
    if (st.pendingReboot.length) ctx.info(`${where}: waiting for a reboot: ${st.pendingReboot.join(", ")} (rebootRequired is true)`);
}

type Recorded = { parameters?: Record<string, string>; previousValues?: Record<string, string | null> };

async function applyAndVerify(ctx: Ctx, inp: KernelCmdlineInputs, recorded: Recorded) {
    const where = endpoint(inp.connection);
    const obs = await observeKcl(inp.connection);
    const plan = planApply(inp, obs, recorded);
    const after = plan.steps.length ? await applyKcl(inp.connection, plan.steps) : obs;
    const st = stateFromObservation(inp.parameters, after, plan.previousValues);
    const bad = unverified(inp, st);
    if (bad.length) throw new Error(`${where}: kernel parameters not as wanted after apply: ${bad.join("; ")}`);
    for (const a of after.actions) ctx.info(`${where}: ${a}`);
    report(ctx, where, st);
    return { ...inp, ...st };
}

export const kernelCmdlineResource = defineResource({
    token: KERNEL_CMDLINE_TOKEN,
    inputObject: KernelCmdlineObject,
    inputs: KernelCmdlineObject,
    state: KernelCmdlineStateSchema,
    replaceOnChanges: ["connection"],
    id: (inp) => `${endpoint(inp.connection)}:kernel-cmdline`,

    diff(ctx, { olds, news }) {
        const recorded = { ...olds, host: olds.connection?.host ?? "", port: olds.connection?.port ?? 22 };
        const changes = diffKcl(recorded, { ...news, host: news.connection.host, port: news.connection.port });
        const warning = driftWarning(olds, news.parameters);
        if (warning) ctx.warn(`${endpoint(news.connection)}: ${warning}`);
        return changes;
    },

    create: (ctx, inputs) => applyAndVerify(ctx, inputs, {}),
    async read(ctx, { inputs, olds }) {
        const st = stateFromObservation(inputs.parameters, await observeKcl(inputs.connection), olds.previousValues);
        report(ctx, endpoint(inputs.connection), st);
        return { ...inputs, ...st };
    },
    update: (ctx, { olds, news }) => applyAndVerify(ctx, news, olds),

    async delete(ctx, { id, olds }) {
        const connection = olds.connection;
        if (!connection) throw new Error(`cannot delete ${id}: the recorded connection is not valid`);
        const where = endpoint(connection);
        const params = olds.parameters;
        const obs = await observeKcl(connection);
        const steps = planDelete(obs, params, olds.previousValues);
        const after = steps.length ? await applyKcl(connection, steps) : obs;
        for (const a of after.actions) ctx.info(`${where}: ${a}`);
        const still = Object.keys(params).filter((n) => lastValue(after.boot.cmdline, n) !== undefined);
        const them = still.length === 1 ? "it" : "them";
        if (still.length) {
            ctx.warn(
                `${where}: ${still.join(", ")} stay${still.length === 1 ? "s" : ""} on the running kernel's command line ` +
                    `until the host reboots (a reboot is needed; the next boot starts without ${them})`,
            );
        }
        if (after.live["module.sig_enforce"] === "Y" && params["module.sig_enforce"] === "1")
            ctx.warn(`${where}: module signature enforcement stays on until the host reboots (the kernel cannot turn it off)`);
    },
});
