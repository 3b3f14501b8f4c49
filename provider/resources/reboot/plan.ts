// Pure decisions of HostReboot: whether a reboot is needed, and whether what was pending is in force.
import { lastValue, sameValue } from "../../kernel/cmdline";
import { parseLockdownFile, rank } from "../../kernel/lockdown";
import { PropertyChange } from "../../protocol/contract";
import { HostRebootInputs } from "./model";
import { Probe } from "./host";

/** Why this host needs a reboot now ([] : it does not). `olds` is absent at create, where triggers do not count. */
export function rebootReasons(inp: Pick<HostRebootInputs, "rebootRequired" | "triggers">, olds?: { triggers?: unknown[] }): string[] {
    const reasons: string[] = [];
    const n = inp.rebootRequired.filter(Boolean).length;
    if (n) reasons.push(`${n} watched resource${n === 1 ? " needs" : "s need"} a reboot`);
    if (olds && JSON.stringify(olds.triggers ?? []) !== JSON.stringify(inp.triggers)) reasons.push("its triggers changed");
    return reasons;
}

/** What the reboot should have put in force and is not ([] : all of it is). */
export function notInForce(inp: Pick<HostRebootInputs, "expectCmdline" | "expectLockdown">, p: Probe): string[] {
    const bad: string[] = [];
    for (const [name, want] of Object.entries(inp.expectCmdline ?? {})) {
        const got = lastValue(p.cmdline, name);
        if (!sameValue(got, want)) {
            const shown = got === undefined ? "does not have it" : `has ${got === null ? "it as a flag" : `${name}=${got}`}`;
            bad.push(`${name}${want === "" ? "" : `=${want}`} (/proc/cmdline ${shown})`);
        }
    }
    if (inp.expectLockdown) {
        const level = p.lockdown === null ? null : parseLockdownFile(p.lockdown)?.current ?? null;
        if (level === null || rank(level) < rank(inp.expectLockdown)) bad.push(`lockdown ${inp.expectLockdown} (the kernel is at ${level ?? "an unknown level"})`);
    }
    return bad;
}

/** Whether there is anything to verify after a reboot (without it, a watched true alone decides). */
export function hasExpectations(inp: Pick<HostRebootInputs, "expectCmdline" | "expectLockdown">): boolean {
    return Object.keys(inp.expectCmdline ?? {}).length > 0 || inp.expectLockdown !== undefined;
}

type Recorded = Partial<HostRebootInputs> & { host: string; port: number };

export function diffReboot(olds: Recorded, news: HostRebootInputs): PropertyChange[] {
    const changes: PropertyChange[] = [];
    if (olds.host !== news.connection.host) changes.push({ path: "connection.host", kind: "update", replace: true });
    if (olds.port !== news.connection.port) changes.push({ path: "connection.port", kind: "update", replace: true });
    if (news.rebootRequired.some(Boolean)) changes.push({ path: "rebootRequired", kind: "update" });
    if (JSON.stringify(olds.triggers ?? []) !== JSON.stringify(news.triggers)) changes.push({ path: "triggers", kind: "update" });
    if (JSON.stringify(olds.expectCmdline ?? {}) !== JSON.stringify(news.expectCmdline ?? {})) changes.push({ path: "expectCmdline", kind: "update" });
    if ((olds.expectLockdown ?? null) !== (news.expectLockdown ?? null)) changes.push({ path: "expectLockdown", kind: "update" });
    if ((olds.timeoutSeconds ?? 600) !== news.timeoutSeconds) changes.push({ path: "timeoutSeconds", kind: "update" });
    return changes;
}
