// The Lockdown resource's two remote operations, each one SSH round trip:
//   observe: the lockdown level and LSM list (read in a private mount namespace when securityfs is
//            not mounted, so reading never changes the host), /proc/cmdline, and every boot
//            configuration this resource may persist through
//   apply:   run the planned steps in order (mount securityfs, raise the level only if it is below,
//            write or remove our files atomically, regenerate the boot configuration), then observe
//            again so the caller verifies what is in force.
import { Connection } from "../../ssh/connection";
import { runScript } from "../../host/run";
import { b64, encodeRecords, parseRecords, unb64, Record_ } from "../../host/records";
import { shellScript } from "../../host/scripts";
import { applyRecords, bootRecord, bootStepRecord, emptyBoot, scriptFailure } from "../../boot/host";
import { LOCKDOWN_DROPIN_NAME, ObservedLockdown, Step } from "./model";

const LIB = ["../../boot/boot.sh", "lockdown.sh"];
export const OBSERVE_SCRIPT = shellScript(__dirname, ...LIB, "observe.sh");
// Runs the steps in the order given, then observes (apply.sh).
export const APPLY_SCRIPT = shellScript(__dirname, ...LIB, "apply.sh");

function parseObserved(records: Record_[]): ObservedLockdown {
    const obs: ObservedLockdown = {
        kernelRelease: "",
        securityfs: "unsupported",
        lockdownFile: null,
        lsmFile: null,
        peekError: null,
        cmdline: "",
        grub: { defaultFile: false, updateGrub: false, grubMkconfig: false, dropin: null, linuxLines: null },
        kernelCmdline: { content: null, kernelInstall: false, layout: null, entries: [] },
        unit: { content: null, link: null },
        systemd: false,
        actions: [],
    };
    const v = (r: Record_, i = 1) => unb64(r[i] ?? "");
    const boot = emptyBoot();
    for (const r of records) {
        if (bootRecord(boot, r)) continue;
        switch (r[0]) {
            case "kernel": obs.kernelRelease = v(r); break;
            case "secfs": obs.securityfs = r[1] as ObservedLockdown["securityfs"]; break;
            case "lockdown": obs.lockdownFile = v(r); break;
            case "lsm": obs.lsmFile = v(r); break;
            case "peekfailed": obs.peekError = v(r).trim() || "unshare failed"; break;
            case "unit": obs.unit.content = v(r); break;
            case "unitlink": obs.unit.link = v(r); break;
            case "systemd": obs.systemd = true; break;
            case "done": obs.actions.push(r[1]); break;
        }
    }
    // Lockdown's view of the boot configuration: its own drop-in among the others.
    obs.boot = boot;
    obs.cmdline = boot.cmdline;
    obs.grub = {
        defaultFile: boot.grub.defaultFile !== null,
        updateGrub: boot.grub.updateGrub,
        grubMkconfig: boot.grub.grubMkconfig,
        dropin: boot.grub.dropins.find((d) => d.name === LOCKDOWN_DROPIN_NAME)?.content ?? null,
        linuxLines: boot.grub.linuxLines,
    };
    obs.kernelCmdline = boot.kernelCmdline;
    return obs;
}

/** The boot configuration's steps are the boot-configuration module's (boot.sh's boot_step runs them). */
function stepRecord(s: Step): Record_ {
    switch (s.op) {
        case "mount": return ["M"];
        case "raise": return ["L", b64(s.level)];
        case "write":
            if (s.target === "unit") return ["U", b64(s.content)];
            if (s.target === "dropin") return bootStepRecord({ op: "write-dropin", name: LOCKDOWN_DROPIN_NAME, content: s.content });
            return bootStepRecord({ op: "write-kcmdline", content: s.content, expect: s.expect ?? null });
        case "remove":
            return s.target === "dropin" ? bootStepRecord({ op: "remove-dropin", name: LOCKDOWN_DROPIN_NAME }) : ["R", s.target];
        case "enable": return ["E"];
        case "daemon-reload": return ["D"];
        case "update-grub":
        case "kernel-install":
            return bootStepRecord(s);
    }
}

export async function observeLockdown(c: Connection): Promise<ObservedLockdown> {
    const res = await runScript(c, OBSERVE_SCRIPT, "", "lockdown.observe");
    if (res.code !== 0) throw scriptFailure(c, "reading the lockdown state", res);
    return parseObserved(parseRecords(res.stdout));
}

export async function applyLockdown(c: Connection, steps: Step[]): Promise<ObservedLockdown> {
    const res = await runScript(c, APPLY_SCRIPT, encodeRecords(steps.map(stepRecord)), "lockdown.apply");
    return parseObserved(applyRecords(c, "applying the lockdown state", res));
}
