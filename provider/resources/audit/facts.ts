// Facts read from a Linux host for the kernel security audit, and pure parsers for the files they
// come from (/boot/config-*, /sys/kernel/security/lockdown, /proc/cmdline). No I/O here.

export type LockdownLevel = "none" | "integrity" | "confidentiality";

export interface LockdownState {
    current: LockdownLevel;
    available: string[];
}

export interface HostFacts {
    /** `uname -r`. */
    kernelRelease: string | null;
    /** CONFIG_X -> "y" | "m" | "n" | value; "is not set" lines -> "n"; null when no config was found. */
    kconfig: Map<string, string> | null;
    /** Where the kconfig came from (e.g. /boot/config-6.1.0-18-cloud-amd64, /proc/config.gz). */
    kconfigSource: string | null;
    /** /proc/cmdline. */
    cmdline: string | null;
    /** Dotted key -> value; null if unreadable or missing on this kernel. */
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

/** Kconfig writes strings in double quotes with `"` and `\` backslash-escaped. */
function unquote(v: string): string {
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, "$1");
    return v;
}

const LEVELS: readonly string[] = ["none", "integrity", "confidentiality"];
const isLevel = (s: string): s is LockdownLevel => LEVELS.includes(s);

/** Parses "[none] integrity confidentiality"; null unless exactly one known level is bracketed. */
export function parseLockdown(text: string): LockdownState | null {
    let current: LockdownLevel | null = null;
    const available: string[] = [];
    for (const token of text.trim().split(/\s+/).filter(Boolean)) {
        const bracketed = /^\[(.*)\]$/.exec(token);
        const name = bracketed ? bracketed[1] : token;
        if (!isLevel(name)) return null;
        if (bracketed) {
            if (current !== null) return null;
            current = name;
        }
        available.push(name);
    }
    return current === null ? null : { current, available };
}

/**
 * Parses a kernel command line the way the kernel's parse_args() does: whitespace separates
 * parameters except inside double quotes (which are dropped), `-` and `_` in a name are the same,
 * and everything after a bare `--` belongs to init. `foo=bar` -> "bar", `foo` -> true; last one wins.
 */
export function parseCmdline(cmdline: string): Map<string, string | true> {
    const out = new Map<string, string | true>();
    for (const token of splitArgs(cmdline)) {
        if (token === "--") break;
        const eq = token.indexOf("=");
        const name = (eq < 0 ? token : token.slice(0, eq)).replace(/-/g, "_");
        if (!name) continue;
        out.set(name, eq < 0 ? true : token.slice(eq + 1));
    }
    return out;
}

function splitArgs(s: string): string[] {
    const tokens: string[] = [];
    let current = "";
    let inQuotes = false;
    let started = false;
    for (const ch of s) {
        if (ch === '"') {
            inQuotes = !inQuotes;
            started = true;
        } else if (!inQuotes && /\s/.test(ch)) {
            if (started) tokens.push(current);
            current = "";
            started = false;
        } else {
            current += ch;
            started = true;
        }
    }
    if (started) tokens.push(current);
    return tokens;
}

/** Every sysctl key the audit reads; a collector should read exactly these. */
export const AUDIT_SYSCTL_KEYS: string[] = [
    "kernel.kptr_restrict",
    "kernel.dmesg_restrict",
    "kernel.kexec_load_disabled",
    "kernel.perf_event_paranoid",
    "kernel.yama.ptrace_scope",
    "kernel.unprivileged_bpf_disabled",
    "net.core.bpf_jit_harden",
    "user.max_user_namespaces",
    "dev.tty.ldisc_autoload",
    "dev.tty.legacy_tiocsti",
    "vm.unprivileged_userfaultfd",
    "kernel.io_uring_disabled",
    "kernel.sysrq",
    "kernel.randomize_va_space",
    "fs.protected_symlinks",
    "fs.protected_hardlinks",
    "fs.protected_fifos",
    "fs.protected_regular",
    "fs.suid_dumpable",
    "vm.mmap_min_addr",
    "kernel.modules_disabled",
];
