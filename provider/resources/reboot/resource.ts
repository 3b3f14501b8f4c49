// kernelhardening:index:HostReboot — reboots a host when what it watches needs it, waits for it to come
// back (same pinned host key, bounded wait) and verifies that what was pending is in force.
// Never in a preview (the engine calls create/update only in `up`), never when nothing needs it.
import { ConnectionSchema, endpoint } from "../../ssh/connection";
import { Ctx, DiffResult, Props, ResourceHandler, zodFailures } from "../../protocol/contract";
import { connectionSecretPaths } from "../../framework/rotation";
import { probeHost, requestReboot, waitForNewBoot } from "./host";
import { HOST_REBOOT_TOKEN, HostRebootInputs, HostRebootInputsSchema, HostRebootObject } from "./model";
import { diffReboot, hasExpectations, notInForce, rebootReasons } from "./plan";
import { parseLockdownFile } from "../../kernel/lockdown";

async function run(ctx: Ctx, inp: HostRebootInputs, reasons: string[], olds: Props): Promise<Props> {
    const where = endpoint(inp.connection);
    const before = await probeHost(inp.connection);
    const keep = { bootId: before.bootId, rebooted: false, rebootedAt: (olds.rebootedAt ?? "") as string, cmdline: before.cmdline };
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
    const rebootedAt = new Date().toISOString();
    const lockdown = level ? { lockdownLevel: level } : {};
    return { ...inp, bootId: after.bootId, rebooted: true, rebootedAt, cmdline: after.cmdline, ...lockdown };
}

function verifiedList(inp: HostRebootInputs): string {
    const items = Object.entries(inp.expectCmdline ?? {}).map(([n, v]) => (v === "" ? n : `${n}=${v}`));
    if (inp.expectLockdown) items.push(`lockdown ${inp.expectLockdown}`);
    return items.join(", ");
}

export const hostRebootResource: ResourceHandler = {
    token: HOST_REBOOT_TOKEN,
    secretPaths: connectionSecretPaths,

    async check(news, unknownProps) {
        const known: Props = { ...news };
        for (const p of unknownProps) delete known[p];
        const schema = unknownProps.size ? HostRebootObject.partial() : HostRebootInputsSchema;
        const r = schema.safeParse(known);
        if (!r.success) return { inputs: news, failures: zodFailures(r.error.issues) };
        const stillUnknown = Object.fromEntries([...unknownProps].map((p) => [p, news[p]]));
        return { inputs: { ...(r.data as Props), ...stillUnknown }, failures: [] };
    },

    async diff(_ctx, { olds, news, unknownProps }): Promise<DiffResult> {
        if (unknownProps.size) {
            // A watched output not known yet (its resource changes in this update): the reboot may be needed.
            return { changes: [...unknownProps].map((p) => ({ path: p, kind: "update" as const, replace: p === "connection" })) };
        }
        const want = HostRebootInputsSchema.parse(news);
        const oldConn = ConnectionSchema.safeParse(olds.connection);
        return {
            changes: diffReboot(
                { ...(olds as Partial<HostRebootInputs>), host: oldConn.success ? oldConn.data.host : "", port: oldConn.success ? oldConn.data.port : 22 },
                want,
            ),
        };
    },

    async create(ctx, inputs) {
        const inp = HostRebootInputsSchema.parse(inputs);
        return { id: `${endpoint(inp.connection)}:reboot`, outputs: await run(ctx, inp, rebootReasons(inp), {}) };
    },

    // Nothing to read back: what it verified is recorded; the host may be down for other reasons.
    async read(_ctx, { id, outputs, inputs }) {
        return { id, outputs, inputs };
    },

    async update(ctx, { olds, news }) {
        const inp = HostRebootInputsSchema.parse(news);
        return run(ctx, inp, rebootReasons(inp, { triggers: (olds.triggers ?? []) as unknown[] }), olds);
    },

    async delete(ctx, { outputs }) {
        const c = ConnectionSchema.safeParse(outputs.connection);
        if (c.success) ctx.info(`${endpoint(c.data)}: HostReboot removed; the host is not rebooted`);
    },
};
