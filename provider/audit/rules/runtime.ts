// Runtime rules: the state the running kernel is in. Ours; KHC reads no live state.
import { Ctx, Tri } from "../engine";
import { lockedDown } from "../lockdown";
import { CustomRule } from "./types";

const TAINT_UNSIGNED_MODULE = 1 << 13; // 'E', see Documentation/admin-guide/tainted-kernels.rst

function lockdownShown(c: Ctx): string | null {
    const l = c.f.lockdown;
    return l === null ? null : l.available.map((x) => (x === l.current ? `[${x}]` : x)).join(" ");
}

export const RUNTIME_RULES: CustomRule[] = [
    {
        id: "runtime.lockdown",
        category: "runtime",
        group: "self_protection",
        source: "kspp+post",
        severity: "high",
        title: "Kernel lockdown is active",
        expected: "integrity or confidentiality (KSPP: confidentiality)",
        why: "Integrity blocks unsigned modules, kexec and raw kernel memory access even where the build does not enforce them.",
        fix: "Lockdown mode: integrity",
        evaluate(c) {
            const { lockdown, lsms } = c.f;
            if (lockdown !== null)
                return {
                    verdict: lockedDown(lockdown),
                    observed: lockdownShown(c),
                };
            if (lsms !== null && !lsms.includes("lockdown")) {
                return { verdict: false, observed: `lockdown LSM not active (active: ${lsms.join(",") || "none"})` };
            }
            return { verdict: null, observed: null };
        },
    },
    {
        id: "runtime.module_sig_enforce",
        category: "runtime",
        group: "self_protection",
        source: "kspp+post",
        severity: "high",
        title: "Unsigned modules are refused now",
        expected: "sig_enforce=Y, or Lockdown at integrity or above",
        why: "With signatures checked but not enforced an unsigned module still loads, as the post's SELinux-disabling module shows.",
        fix: "Lockdown mode: integrity (or module.sig_enforce=1 on the kernel command line)",
        evaluate(c) {
            const l = c.f.lockdown;
            const locked: Tri = l === null ? null : lockedDown(l);
            const sig: Tri = c.f.sigEnforce;
            const noModules = c.f.kconfig === null ? null : (c.f.kconfig.get("CONFIG_MODULES") ?? "n") === "n";
            const verdict: Tri =
                sig === true || locked === true || noModules === true
                    ? true
                    : sig === false && (locked === false || l === null)
                      ? false
                      : null;
            const shown = [
                sig === null ? null : `sig_enforce=${sig ? "Y" : "N"}`,
                l === null ? null : `lockdown ${lockdownShown(c)}`,
            ];
            const observed = shown.filter(Boolean).join("; ") || null;
            return { verdict, observed };
        },
    },
    {
        id: "runtime.taint.unsigned_module",
        category: "runtime",
        group: "self_protection",
        source: "cloudflare-post",
        severity: "critical",
        title: "No unsigned module has been loaded",
        expected: `taint bit 13 (${TAINT_UNSIGNED_MODULE}, 'E') clear`,
        why: "An unsigned module ran with full kernel privileges; it may have changed kernel state as the post's SELinux example does.",
        fix: "find and remove the module, reboot to clear the taint, then enforce signatures (Lockdown mode: integrity)",
        evaluate(c) {
            const t = c.f.tainted;
            if (t === null) return { verdict: null, observed: null };
            const bad = (t & TAINT_UNSIGNED_MODULE) !== 0;
            return {
                verdict: !bad,
                observed: bad ? `tainted=${t}: kernel tainted by an unsigned module` : `tainted=${t}`,
            };
        },
    },
];
