// kernelhardening:index:HostReboot — reboots a host when what it watches needs it, waits for it to come
// back (same pinned host key, bounded wait) and verifies that what was pending is in force.
// Never in a preview (the engine calls create/update only in `up`), never when nothing needs it.
import { endpoint } from "../../ssh/connection";
import { Ctx } from "../../protocol/contract";
import { defineResource } from "../../framework/define";
import { probeHost, requestReboot, waitForNewBoot } from "./host";
import { HOST_REBOOT_TOKEN, HostRebootInputs, HostRebootObject, HostRebootStateSchema } from "./model";
import { diffReboot, hasExpectations, notInForce, rebootReasons } from "./plan";
import { parseLockdownFile } from "../../kernel/lockdown";

async function run(ctx: Ctx, inp: HostRebootInputs, reasons: string[], rebootedAt = "") {
    const where = endpoint(inp.connection);
    const before = await probeHost(inp.connection);
    const keep = { bootId: before.bootId, rebooted: false, rebootedAt, cmdline: before.cmdline };
    if (!reasons.length) return { ...inp, ...keep, rebootRequired: inp.rebootRequired };
    // A watched output recorded before an earlier reboot can still say true: what it waits for is in force already.
    if (hasExpectations(inp) && !notInForce(inp, before).length && !reasons.some((r) => r.includes("triggers"))) {
        ctx.info(`${where}: not rebooting: what the reboot is for is in force already`);
        return { ...inp, ...keep };
    }
    ctx.info(`${where}: rebooting (${reasons.join("; ")})`);
    const started = Date.now();
    await requestReboot(inp.connection);
    const after = await waitForNewBoot(inp.connection, before.bootId, inp.timeoutSeconds);
    const seconds = Math.round((Date.now() - started) / 1000);
    const missing = notInForce(inp, after);
    if (missing.length) throw new Error(`${where}: rebooted (back after ${seconds} s), but not in force: ${missing.join("; ")}`);
    ctx.info(`${where}: back after ${seconds} s with a new boot; verified: ${verifiedList(inp) || "the host answers"}`);
    const level = after.lockdown === null ? undefined : parseLockdownFile(after.lockdown)?.current;
    const lockdown = level ? { lockdownLevel: level } : {};
    const at = new Date().toISOString();
    return { ...inp, bootId: after.bootId, rebooted: true, rebootedAt: at, cmdline: after.cmdline, ...lockdown };
}

function verifiedList(inp: HostRebootInputs): string {
    const items = Object.entries(inp.expectCmdline ?? {}).map(([n, v]) => (v === "" ? n : `${n}=${v}`));
    if (inp.expectLockdown) items.push(`lockdown ${inp.expectLockdown}`);
    return items.join(", ");
}

export const hostRebootResource = defineResource({
    token: HOST_REBOOT_TOKEN,
    inputObject: HostRebootObject,
    inputs: HostRebootObject,
    state: HostRebootStateSchema,
    replaceOnChanges: ["connection"],
    id: (inp) => `${endpoint(inp.connection)}:reboot`,
    // Nothing to read back: what it verified is recorded; the host may be down for other reasons.
    readsHost: false,

    // A watched output not known yet (its resource changes in this update) is an update: the reboot may be needed.
    diff: (_ctx, { olds, news }) =>
        diffReboot({ ...olds, host: olds.connection?.host ?? "", port: olds.connection?.port ?? 22 }, news),
    create: (ctx, inputs) => run(ctx, inputs, rebootReasons(inputs)),
    read: async (_ctx, { olds }) => olds,
    update: (ctx, { olds, news }) => run(ctx, news, rebootReasons(news, olds), olds.rebootedAt),
    async delete(ctx, { olds }) {
        if (olds.connection) ctx.info(`${endpoint(olds.connection)}: HostReboot removed; the host is not rebooted`);
    },
});
