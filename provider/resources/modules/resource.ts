// kernelhardening:index:ModuleBlocklist — kernel modules that may not be loaded, via /etc/modprobe.d.
import { ConnectionSchema, endpoint } from "../../ssh/connection";
import { Ctx, DiffResult, PropertyChange, Props, ResourceHandler, zodFailures } from "../types";
import { connectionSecretPaths } from "../common";
import { applyBlocklist, ObservedBlocklist, observeBlocklist } from "./host";
import { blockedIn, BlocklistInputs, BlocklistInputsSchema, renderBlocklist } from "./model";

export const BLOCKLIST_TOKEN = "kernelhardening:index:ModuleBlocklist";

const INPUT_KEYS = ["connection", "modules", "file", "previewReadsHost", "adopt"];
const pickInputs = (p: Props): Props => Object.fromEntries(Object.entries(p).filter(([k, v]) => INPUT_KEYS.includes(k) && v !== undefined && v !== null));

function outputs(inp: BlocklistInputs, obs: ObservedBlocklist): Props {
    const blocked = obs.file === null ? [] : blockedIn(obs.file);
    return {
        ...inp,
        path: `/etc/modprobe.d/${inp.file}`,
        fileContent: obs.file,
        blocked,
        loadedBlocked: inp.modules.filter((m) => obs.loaded.includes(m)),
    };
}

function warnLoaded(ctx: Ctx, out: Props) {
    const loaded = out.loadedBlocked as string[];
    if (loaded.length) ctx.warn(`loaded now: ${loaded.join(", ")}; the blocklist stops the next load, unload them (rmmod) or reboot`);
}

/** Pure: what differs between the recorded (or observed) state and the desired one. */
export function diffBlocklist(old: Props, want: BlocklistInputs): PropertyChange[] {
    const changes: PropertyChange[] = [];
    const oldConn = ConnectionSchema.safeParse(old.connection);
    if (old.file !== want.file) changes.push({ path: "file", kind: "update", replace: true });
    if (!oldConn.success || oldConn.data.host !== want.connection.host || oldConn.data.port !== want.connection.port) {
        changes.push({ path: "connection.host", kind: "update", replace: true });
    }
    const blocked = (old.blocked ?? []) as string[];
    if (JSON.stringify(blocked) !== JSON.stringify(want.modules)) changes.push({ path: "modules", kind: "update" });
    else if (old.fileContent !== renderBlocklist(want.modules)) changes.push({ path: "fileContent", kind: old.fileContent === null ? "add" : "update" });
    return changes;
}

async function apply(ctx: Ctx, inp: BlocklistInputs): Promise<Props> {
    const obs = await applyBlocklist(inp.connection, inp.file, renderBlocklist(inp.modules), inp.adopt);
    const out = outputs(inp, obs);
    if (out.fileContent !== renderBlocklist(inp.modules)) throw new Error(`${endpoint(inp.connection)}: /etc/modprobe.d/${inp.file} does not hold the blocklist after apply`);
    warnLoaded(ctx, out);
    return out;
}

export const moduleBlocklistResource: ResourceHandler = {
    token: BLOCKLIST_TOKEN,
    secretPaths: connectionSecretPaths,
    refreshBeforeUpdate: (o) => o.previewReadsHost !== false,

    check(news, unknownProps) {
        if (unknownProps.size) return { inputs: news, failures: [] };
        const r = BlocklistInputsSchema.safeParse(news);
        return r.success ? { inputs: r.data as Props, failures: [] } : { inputs: news, failures: zodFailures(r.error.issues) };
    },

    async diff(_ctx, { olds, news, unknownProps }): Promise<DiffResult> {
        if (unknownProps.size) return { changes: [...unknownProps].map((p) => ({ path: p, kind: "update" as const })) };
        return { changes: diffBlocklist(olds, BlocklistInputsSchema.parse(news)), deleteBeforeReplace: true };
    },

    async create(ctx, inputs) {
        const inp = BlocklistInputsSchema.parse(inputs);
        return { id: `${endpoint(inp.connection)}:/etc/modprobe.d/${inp.file}`, outputs: await apply(ctx, inp) };
    },

    async read(ctx, { id, outputs: old, inputs }) {
        const inp = BlocklistInputsSchema.parse(pickInputs(Object.keys(inputs).length ? inputs : old));
        const out = outputs(inp, await observeBlocklist(inp.connection, inp.file));
        warnLoaded(ctx, out);
        return { id, outputs: out, inputs: pickInputs(Object.keys(inputs).length ? inputs : old) };
    },

    async update(ctx, { news }) {
        return apply(ctx, BlocklistInputsSchema.parse(news));
    },

    async delete(_ctx, { outputs: old }) {
        const inp = BlocklistInputsSchema.parse(pickInputs(old));
        await applyBlocklist(inp.connection, inp.file, "delete");
    },
};
