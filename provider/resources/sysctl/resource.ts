// kernelhardening:index:Sysctl — read -> plan -> apply -> verify.
import { Connection, endpoint } from "../../ssh/connection";
import { Ctx } from "../../protocol/contract";
import { defineResource } from "../../framework/define";
import { applySysctl, observeSysctl } from "./host";
import {
    ONE_WAY_KEYS,
    parseConf,
    parseOwnFile,
    SysctlInputs,
    SysctlInputsSchema,
    SysctlObject,
    SysctlStateSchema,
} from "./model";
import {
    diffSysctl,
    nextPreviousValues,
    planApply,
    planDelete,
    stateFromObservation,
    SysctlState,
    unverified,
} from "./plan";

export const SYSCTL_TOKEN = "kernelhardening:index:Sysctl";

function recorded(ctx: Ctx, inp: SysctlInputs, st: SysctlState) {
    for (const o of st.overriddenBy) {
        ctx.warn(
            `${o.key}: ${o.file} sets it to ${JSON.stringify(o.value)} after ${st.path} at boot, ` +
                "so that value wins at the next boot",
        );
    }
    return { ...inp, ...st };
}

async function applyAndVerify(ctx: Ctx, inp: SysctlInputs, previousBefore: Record<string, string | null>) {
    const after = await applySysctl(inp.connection, planApply(inp, previousBefore));
    const bad = unverified(inp.entries, after);
    if (bad.length) throw new Error(`values not in force after apply: ${bad.join("; ")}`);
    return recorded(ctx, inp, stateFromObservation(inp, after, nextPreviousValues(inp.entries, after, previousBefore)));
}

export const sysctlResource = defineResource({
    token: SYSCTL_TOKEN,
    inputObject: SysctlObject,
    inputs: SysctlInputsSchema,
    state: SysctlStateSchema,
    replaceOnChanges: ["file", "connection"],
    id: (inp) => `${endpoint(inp.connection)}:/etc/sysctl.d/${inp.file}`,
    diff: (_ctx, { olds, news }) =>
        diffSysctl(
            { ...olds, host: olds.connection?.host ?? "", port: olds.connection?.port ?? 22 },
            { ...news, host: news.connection.host, port: news.connection.port },
        ),
    create: (ctx, inputs) => applyAndVerify(ctx, inputs, {}),
    async read(ctx, { inputs, olds }) {
        const obs = await observeSysctl(inputs.connection, inputs.file, Object.keys(inputs.entries));
        return recorded(ctx, inputs, stateFromObservation(inputs, obs, olds.previousValues));
    },
    update: (ctx, { olds, news }) => applyAndVerify(ctx, news, olds.previousValues),
    async delete(ctx, { id, olds, inputs }) {
        if (!inputs) throw new Error(`cannot delete ${id}: the recorded inputs are not valid`);
        const restorable: Record<string, string | null> = {};
        for (const [k, prev] of Object.entries(olds.previousValues)) {
            // Only a key this resource set to its locking value cannot go back before a reboot.
            const lock = ONE_WAY_KEYS[k];
            if (lock !== undefined && inputs.entries[k] === lock && prev !== lock) {
                ctx.warn(
                    `${k} is one-way: it stays ${lock} until the host reboots ` +
                        "(the drop-in is removed, so the next boot starts without it)",
                );
                continue;
            }
            restorable[k] = prev;
        }
        await applySysctl(inputs.connection, planDelete(inputs.file, restorable));
    },
    import: {
        format: "[user@]host:port:/etc/sysctl.d/NAME.conf",
        rest: /^\/etc\/sysctl\.d\/([A-Za-z0-9_][A-Za-z0-9_.+-]{0,250}\.conf)$/,
        read: importSysctl,
    },
});

async function importSysctl(ctx: Ctx, connection: Connection, [, file]: RegExpExecArray) {
    const first = await observeSysctl(connection, file, []);
    if (first.file === null) return undefined;
    const own = parseOwnFile(first.file);
    const entries = Object.fromEntries([...parseConf(first.file).values()].map((l) => [l.key, l.value]));
    const inputs = SysctlInputsSchema.parse({ connection, file, entries, comment: own.comment, allowOneWayKeys: true });
    const obs = await observeSysctl(connection, inputs.file, Object.keys(inputs.entries));
    // What was in force before this file is unknowable now; delete keeps today's live values.
    const previous = nextPreviousValues(inputs.entries, obs, {});
    return { inputs, outputs: recorded(ctx, inputs, stateFromObservation(inputs, obs, previous)) };
}
