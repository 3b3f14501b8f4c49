// Facts read from a Linux host (or from files on disk) for the audit, and the pure parser of a
// kernel .config. No I/O here.
import { LockdownState } from "./lockdown";

export type { LockdownState } from "./lockdown";

export interface HostFacts {
    /** `uname -r`. */
    kernelRelease: string | null;
    /** CONFIG_X -> "y" | "m" | value; "is not set" lines -> "n"; null when no config was found. */
    kconfig: Map<string, string> | null;
    /** Where the kconfig came from (e.g. /boot/config-6.1.0-18-cloud-amd64, /proc/config.gz). */
    kconfigSource: string | null;
    /** The version in the kconfig's header (`# Linux/x86 6.1.176 Kernel Configuration`), for offline audits. */
    kconfigVersion?: string | null;
    /** /proc/cmdline. */
    cmdline: string | null;
    /** Dotted key -> value; null if missing on this kernel; a key not read is absent (unknown). */
    sysctls: Record<string, string | null>;
    /** /sys/kernel/security/lockdown. */
    lockdown: LockdownState | null;
    /** /sys/kernel/security/lsm, split on commas. */
    lsms: string[] | null;
    /** /proc/sys/kernel/tainted. */
    tainted: number | null;
    /** /sys/module/module/parameters/sig_enforce ("Y" -> true). */
    sigEnforce: boolean | null;
    /** `uname -m`. */
    arch: string | null;
}

const KCONFIG_SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const KCONFIG_UNSET = /^#\s*(CONFIG_[A-Za-z0-9_]+) is not set$/;

/** Parses a kernel .config; other comments and junk lines are ignored, and a later line wins. */
export function parseKconfig(text: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        const unset = KCONFIG_UNSET.exec(line);
        if (unset) {
            out.set(unset[1], "n");
            continue;
        }
        const set = KCONFIG_SET.exec(line);
        if (set) out.set(set[1], unquote(set[2].trim()));
    }
    return out;
}

/** The version a .config was generated for, from its header comment. */
export function kconfigVersion(text: string): string | null {
    const m = /^#\s*Linux\/\S+\s+(\d+\.\d+(?:\.\d+)?)\S*\s+Kernel Configuration/m.exec(text.slice(0, 4096));
    return m ? m[1] : null;
}

/** Kconfig writes strings in double quotes with `"` and `\` backslash-escaped. */
function unquote(v: string): string {
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, "$1");
    return v;
}

export function emptyFacts(): HostFacts {
    return {
        kernelRelease: null, kconfig: null, kconfigSource: null, kconfigVersion: null, cmdline: null, sysctls: {},
        lockdown: null, lsms: null, tainted: null, sigEnforce: null, arch: null,
    };
}
