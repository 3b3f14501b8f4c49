// kernelhardening:index:ModuleBlocklist — kernel modules that may not be loaded, via /etc/modprobe.d.
import { Connection, endpoint } from "../../ssh/connection";
import { Ctx } from "../../protocol/contract";
import { defineResource } from "../../framework/define";
import { applyBlocklist, observeBlocklist } from "./host";
import {
    blockedIn,
    BlocklistInputs,
    BlocklistInputsSchema,
    BlocklistObject,
    BlocklistStateSchema,
    renderBlocklist,
} from "./model";
import { BlocklistState, diffBlocklist, loadedWarning, stateFromObservation, unverified } from "./plan";

export const BLOCKLIST_TOKEN = "kernelhardening:index:ModuleBlocklist";

function recorded(ctx: Ctx, inp: BlocklistInputs, st: BlocklistState) {
    const warning = loadedWarning(st);
    if (warning) ctx.warn(warning);
    return { ...inp, ...st };
}

async function apply(ctx: Ctx, inp: BlocklistInputs) {
    const obs = await applyBlocklist(inp.connection, inp.file, renderBlocklist(inp.modules), inp.adopt);
    const st = stateFromObservation(inp, obs);
    const bad = unverified(inp, st);
    if (bad.length) throw new Error(bad.join("; "));
    return recorded(ctx, inp, st);
}

/** The modules a file blocks both ways become the inputs; a file that blocks none is nothing to import. */
async function importBlocklist(ctx: Ctx, connection: Connection, [, file]: RegExpExecArray) {
    const obs = await observeBlocklist(connection, file);
    if (obs.file === null) return undefined;
    const modules = blockedIn(obs.file);
    if (!modules.length) throw new Error(`/etc/modprobe.d/${file} blocks no module (blacklist and install lines)`);
    const inputs = BlocklistInputsSchema.parse({ connection, file, modules });
    return { inputs, outputs: recorded(ctx, inputs, stateFromObservation(inputs, obs)) };
}

export const moduleBlocklistResource = defineResource({
    token: BLOCKLIST_TOKEN,
    inputObject: BlocklistObject,
    inputs: BlocklistInputsSchema,
    state: BlocklistStateSchema,
    replaceOnChanges: ["file", "connection"],
    id: (inp) => `${endpoint(inp.connection)}:/etc/modprobe.d/${inp.file}`,
    diff: (_ctx, { olds, news }) => diffBlocklist(olds, news),
    create: apply,
    read: async (ctx, { inputs }) =>
        recorded(ctx, inputs, stateFromObservation(inputs, await observeBlocklist(inputs.connection, inputs.file))),
    update: (ctx, { news }) => apply(ctx, news),
    async delete(_ctx, { id, inputs }) {
        if (!inputs) throw new Error(`cannot delete ${id}: the recorded inputs are not valid`);
        await applyBlocklist(inputs.connection, inputs.file, "delete");
    },
    import: {
        format: "[user@]host:port:/etc/modprobe.d/NAME.conf",
        rest: /^\/etc\/modprobe\.d\/([A-Za-z0-9_][A-Za-z0-9_.+-]{0,250}\.conf)$/,
        read: importBlocklist,
    },
});
