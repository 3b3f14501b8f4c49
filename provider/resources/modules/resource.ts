// kernelhardening:index:ModuleBlocklist — kernel modules that may not be loaded, via /etc/modprobe.d.
import { endpoint } from "../../ssh/connection";
import { Ctx } from "../../protocol/contract";
import { defineResource } from "../../framework/define";
import { applyBlocklist, observeBlocklist } from "./host";
import {
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
    const st = stateFromObservation(inp, await applyBlocklist(inp.connection, inp.file, renderBlocklist(inp.modules), inp.adopt));
    const bad = unverified(inp, st);
    if (bad.length) throw new Error(bad.join("; "));
    return recorded(ctx, inp, st);
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
});
