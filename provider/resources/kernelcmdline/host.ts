// KernelCmdline's two remote operations, each one SSH round trip:
//   observe: the boot configuration (boot/boot.sh), the run-time value of what can be applied live
//   apply:   the planned steps in order, then observe again so the caller verifies what is in force.
import { Connection } from "../../ssh/connection";
import { runScript } from "../../host/run";
import { encodeRecords, parseRecords, unb64, Record_ } from "../../host/records";
import { shellScript } from "../../host/scripts";
import { BootStep, ObservedBoot } from "../../boot/model";
import { applyRecords, bootRecord, bootStepRecord, emptyBoot, scriptFailure } from "../../boot/host";

const LIB = ["../../boot/boot.sh", "kcl.sh"];
export const OBSERVE_SCRIPT = shellScript(__dirname, ...LIB, "observe.sh");
export const APPLY_SCRIPT = shellScript(__dirname, ...LIB, "apply.sh");

export interface ObservedKcl {
    boot: ObservedBoot;
    /** Run-time values of the live-applicable parameters, as the kernel shows them (sig_enforce: "Y"/"N"). */
    live: Record<string, string>;
    bootId: string;
    /** After an apply: what it changed, in order. */
    actions: string[];
}

export type KclStep = BootStep | { op: "live-sig-enforce" };

function parse(records: Record_[]): ObservedKcl {
    const obs: ObservedKcl = { boot: emptyBoot(), live: {}, bootId: "", actions: [] };
    for (const r of records) {
        if (bootRecord(obs.boot, r)) continue;
        if (r[0] === "live") obs.live[unb64(r[1] ?? "")] = unb64(r[2] ?? "").trim();
        else if (r[0] === "bootid") obs.bootId = unb64(r[1] ?? "").trim();
        else if (r[0] === "done") obs.actions.push(r[1] ?? "");
    }
    return obs;
}

function stepRecord(s: KclStep): Record_ {
    return s.op === "live-sig-enforce" ? ["LS"] : bootStepRecord(s);
}

export async function observeKcl(c: Connection): Promise<ObservedKcl> {
    const res = await runScript(c, OBSERVE_SCRIPT, "", "kernelcmdline.observe");
    if (res.code !== 0) throw scriptFailure(c, "reading the boot configuration", res);
    return parse(parseRecords(res.stdout));
}

export async function applyKcl(c: Connection, steps: KclStep[]): Promise<ObservedKcl> {
    const res = await runScript(c, APPLY_SCRIPT, encodeRecords(steps.map(stepRecord)), "kernelcmdline.apply");
    return parse(applyRecords(c, "changing the boot configuration", res));
}
