// kernelhardening:index:Sysctl — read -> plan -> apply -> verify, wired to the provider contract.
import { Connection, ConnectionSchema, endpoint } from "../../ssh/connection";
import { Ctx, DiffResult, Props, ResourceHandler, zodFailures } from "../types";
import { connectionSecretPaths } from "../common";
import { applySysctl, observeSysctl } from "./host";
import { ONE_WAY_KEYS, parseConf, parseOwnFile, SysctlInputs, SysctlInputsSchema, SysctlObject } from "./model";
import { readFileSync } from "fs";
import { diffSysctl, nextPreviousValues, planApply, planDelete, stateFromObservation, SysctlState, unverified } from "./plan";

export const SYSCTL_TOKEN = "kernelhardening:index:Sysctl";

function parseInputs(p: Props): SysctlInputs {
    return SysctlInputsSchema.parse(p);
}

function idFor(inp: SysctlInputs): string {
    return `${endpoint(inp.connection)}:/etc/sysctl.d/${inp.file}`;
}

function outputsOf(inp: SysctlInputs, st: SysctlState): Props {
    return { ...inp, ...st };
}

function warnOverrides(ctx: Ctx, st: SysctlState) {
    for (const o of st.overriddenBy) {
        ctx.warn(`${o.key}: ${o.file} sets it to ${JSON.stringify(o.value)} after ${st.path} at boot, so that value wins at the next boot`);
    }
}

async function applyAndVerify(ctx: Ctx, inp: SysctlInputs, previousBefore: Record<string, string | null>): Promise<Props> {
    const after = await applySysctl(inp.connection, planApply(inp, previousBefore));
    const bad = unverified(inp.entries, after);
    if (bad.length) throw new Error(`${endpoint(inp.connection)}: values not in force after apply: ${bad.join("; ")}`);
    const st = stateFromObservation(inp, after, nextPreviousValues(inp.entries, after, previousBefore));
    warnOverrides(ctx, st);
    return outputsOf(inp, st);
}

export const sysctlResource: ResourceHandler = {
    token: SYSCTL_TOKEN,
    secretPaths: connectionSecretPaths,
    // The engine refreshes before an update, so `pulumi preview` shows drift without --refresh;
    // previewReadsHost: false keeps previews offline.
    refreshBeforeUpdate: (outputs) => outputs.previewReadsHost !== false,

    check(news, unknownProps) {
        const known: Props = { ...news };
        // Unknown values (preview) are checked once they are known.
        for (const p of unknownProps) delete known[p];
        const schema = unknownProps.size ? SysctlObject.partial() : SysctlInputsSchema;
        const r = schema.safeParse(known);
        if (!r.success) return { inputs: news, failures: zodFailures(r.error.issues) };
        return { inputs: { ...(r.data as Props), ...Object.fromEntries([...unknownProps].map((p) => [p, news[p]])) }, failures: [] };
    },

    async diff(_ctx, { olds, news, unknownProps }): Promise<DiffResult> {
        if (unknownProps.size) {
            // Still unknown: show what may change, never touch a host.
            return { changes: [...unknownProps].map((p) => ({ path: p, kind: "update" as const, replace: p === "file" || p === "connection" })), deleteBeforeReplace: true };
        }
        const want = parseInputs(news);
        const oldConn = ConnectionSchema.safeParse(olds.connection);
        const recorded = {
            entries: (olds.entries ?? {}) as Record<string, string | null>,
            comment: olds.comment as string | undefined,
            file: String(olds.file),
            fileContent: (olds.fileContent ?? null) as string | null,
            host: oldConn.success ? oldConn.data.host : "",
            port: oldConn.success ? oldConn.data.port : 22,
        };
        return { changes: diffSysctl(recorded, { ...want, host: want.connection.host, port: want.connection.port }), deleteBeforeReplace: true };
    },

    async create(ctx, inputs) {
        const inp = parseInputs(inputs);
        return { id: idFor(inp), outputs: await applyAndVerify(ctx, inp, {}) };
    },

    async read(ctx, { id, outputs, inputs }) {
        if (!Object.keys(inputs).length && !Object.keys(outputs).length) return importSysctl(ctx, id);
        const source = Object.keys(inputs).length ? inputs : outputs;
        const parsed = SysctlInputsSchema.safeParse(pickInputs(source));
        if (!parsed.success) throw new Error(`cannot refresh ${id}: the recorded inputs are not valid (${parsed.error.issues[0]?.message}); import needs the resource declared in the program`);
        const inp = parsed.data;
        const previous = (outputs.previousValues ?? {}) as Record<string, string | null>;
        const obs = await observeSysctl(inp.connection, inp.file, Object.keys(inp.entries));
        const st = stateFromObservation(inp, obs, previous);
        warnOverrides(ctx, st);
        return { id, outputs: outputsOf(inp, st), inputs: pickInputs(source) };
    },

    async update(ctx, { olds, news }) {
        const inp = parseInputs(news);
        const previous = (olds.previousValues ?? {}) as Record<string, string | null>;
        return applyAndVerify(ctx, inp, previous);
    },

    async delete(ctx, { outputs }) {
        const inp = parseInputs(pickInputs(outputs));
        const previous = (outputs.previousValues ?? {}) as Record<string, string | null>;
        const restorable: Record<string, string | null> = {};
        for (const [k, prev] of Object.entries(previous)) {
            // Only a key this resource set to its locking value cannot go back before a reboot.
            const lock = ONE_WAY_KEYS[k];
            if (lock !== undefined && inp.entries[k] === lock && prev !== lock) {
                ctx.warn(`${k} is one-way: it stays ${lock} until the host reboots (the drop-in is removed, so the next boot starts without it)`);
                continue;
            }
            restorable[k] = prev;
        }
        await applySysctl(inp.connection, planDelete(inp.file, restorable));
    },
};

/**
 * Import: the id names the host and file (`[user@]host:port:/etc/sysctl.d/NAME.conf`); the engine
 * sends nothing else, so credentials come from the environment as for ssh(1): the SSH agent, or
 * KERNELHARDENING_IMPORT_KEY (a private key file), and host keys from ~/.ssh/known_hosts or
 * KERNELHARDENING_KNOWN_HOSTS.
 */
async function importSysctl(ctx: Ctx, id: string) {
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+):(\d+):\/etc\/sysctl\.d\/([^/]+)$/.exec(id);
    if (!m) throw new Error(`cannot import ${JSON.stringify(id)}: expected [user@]host:port:/etc/sysctl.d/NAME.conf`);
    const keyFile = process.env.KERNELHARDENING_IMPORT_KEY;
    const connection = ConnectionSchema.parse({
        host: m[2].replace(/^\[|\]$/g, ""),
        port: Number(m[3]),
        user: m[1] ?? "root",
        ...(keyFile ? { privateKey: readFileSync(keyFile, "utf8") } : {}),
        ...(process.env.KERNELHARDENING_KNOWN_HOSTS ? { knownHostsPath: process.env.KERNELHARDENING_KNOWN_HOSTS } : {}),
    });
    const first = await observeSysctl(connection, m[4], []);
    if (first.file === null) return undefined;
    const own = parseOwnFile(first.file);
    const entries = Object.fromEntries([...parseConf(first.file).values()].map((l) => [l.key, l.value]));
    const inp = SysctlInputsSchema.parse({ connection, file: m[4], entries, comment: own.comment, allowOneWayKeys: true });
    const obs = await observeSysctl(connection, inp.file, Object.keys(inp.entries));
    // What was in force before this file is unknowable now; delete keeps today's live values.
    const st = stateFromObservation(inp, obs, nextPreviousValues(inp.entries, obs, {}));
    warnOverrides(ctx, st);
    // The connection used for the import (credentials stay secrets) lets refreshes work until the
    // program's own connection replaces it at the next update.
    return { id, outputs: outputsOf(inp, st), inputs: pickInputs(inp as unknown as Props) };
}

const INPUT_KEYS = ["connection", "file", "entries", "comment", "allowOneWayKeys", "previewReadsHost", "adopt"];

function pickInputs(p: Props): Props {
    return Object.fromEntries(Object.entries(p).filter(([k, v]) => INPUT_KEYS.includes(k) && v !== undefined && v !== null));
}

export type { Connection };
