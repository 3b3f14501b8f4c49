// The boot-configuration module's records: boot.sh's observe_boot output parsed into an
// ObservedBoot, and BootSteps encoded for boot_step. Resources compose these into their own scripts.
import { Connection, endpoint } from "../ssh/connection";
import { HostError } from "../ssh/pool";
import { b64, parseRecords, Record_, unb64 } from "../host/records";
import { BootStep, ObservedBoot } from "./model";

type Result = { code: number; stdout: Buffer; stderr: string };

/** A script that failed: `what` it was doing, its exit status and the last lines it wrote on stderr. */
export function scriptFailure(c: Connection, what: string, res: Pick<Result, "code" | "stderr">): HostError {
    const tail = res.stderr.trim().split("\n").slice(-3).join(" ");
    return new HostError(`${endpoint(c)}: ${what} failed (exit ${res.code}): ${tail}`);
}

/**
 * The records of an apply built on boot_step: a "failed" record (boot_fail) is the error, naming the
 * steps done before it (they stay done; the next apply finds and keeps them).
 */
export function applyRecords(c: Connection, what: string, res: Result): Record_[] {
    const out = parseRecords(res.stdout);
    const failed = out.find((r) => r[0] === "failed");
    if (failed) {
        const done = out.filter((r) => r[0] === "done").map((r) => r[1]);
        const already = done.length ? ` (already done: ${done.join(", ")})` : "";
        throw new HostError(`${endpoint(c)}: ${unb64(failed[1] ?? "")}${already}`);
    }
    if (res.code !== 0) throw scriptFailure(c, what, res);
    return out;
}

export function emptyBoot(): ObservedBoot {
    return {
        cmdline: "",
        grub: { defaultFile: null, updateGrub: false, grubMkconfig: false, dropins: [], linuxLines: null },
        kernelCmdline: { content: null, kernelInstall: false, layout: null, entries: [] },
    };
}

/** Takes the boot records of a script's output (other records are left to the caller); true if it was one. */
export function bootRecord(obs: ObservedBoot, r: Record_): boolean {
    const v = (i = 1) => unb64(r[i] ?? "");
    switch (r[0]) {
        case "cmdline": obs.cmdline = v().trim(); return true;
        case "grubdefault": obs.grub.defaultFile = v(); return true;
        case "updategrub": obs.grub.updateGrub = true; return true;
        case "grubmkconfig": obs.grub.grubMkconfig = true; return true;
        case "grubdropin": obs.grub.dropins.push({ name: v(), content: v(2) }); return true;
        case "grubcfg": obs.grub.linuxLines = v().split("\n").filter((l) => l.trim()); return true;
        case "kcmdline": obs.kernelCmdline.content = v(); return true;
        case "kernelinstall": obs.kernelCmdline.kernelInstall = true; return true;
        case "kilayout": obs.kernelCmdline.layout = v() || null; return true;
        case "bootentry": obs.kernelCmdline.entries.push({ path: v(), options: v(2) }); return true;
    }
    return false;
}

export function parseBoot(records: Record_[]): ObservedBoot {
    const obs = emptyBoot();
    for (const r of records) bootRecord(obs, r);
    return obs;
}

export function bootStepRecord(s: BootStep): Record_ {
    switch (s.op) {
        case "write-dropin": return ["BW", b64(s.name), b64(s.content)];
        case "remove-dropin": return ["BR", b64(s.name)];
        case "write-kcmdline": return ["BK", b64(s.content), s.expect === null ? "-" : b64(s.expect)];
        case "update-grub": return ["BG"];
        case "kernel-install": return ["BI"];
    }
}
