// Sysctl rules: live values, all settable by our Sysctl resource. The KernelHardening component's
// profiles come from this table too (`profile`), so a recommended value lives in one place.
// Coverage: every sysctl check KHC makes on x86_64 and arm64, as our own rows.
import { Arch } from "../engine";
import { Group, Severity, Source } from "./types";

/** How a value compares with the recommendation: which side is stricter. */
export type Direction = "atLeast" | "atMost" | "exactly" | "oneOf";

export interface SysctlRule {
    key: string;
    /** The recommended value ("MAX": the kernel's CONFIG_ARCH_<NAME>_MAX). */
    value: string;
    direction: Direction;
    /** For oneOf: the values that pass. */
    oneOf?: string[];
    /** Another way to pass, in the engine's language (e.g. Debian's kernel.unprivileged_userns_clone). */
    orElse?: string;
    /** A condition that must hold as well (e.g. COMPAT off for mmap_min_addr=65536 on arm64). */
    also?: string;
    /** The kconfig option the key controls: when it is not built, the key (and its value) is moot. */
    needs?: string;
    /** First release with the key: a built feature on an older kernel cannot be turned off at all. */
    since?: [number, number];
    /** One-way until reboot (the Sysctl resource guards these). */
    oneWay?: boolean;
    /** Which of the component's profiles sets it, and with what value if not `value`. */
    profile?: "baseline" | "strict";
    profileValue?: string;
    arch?: Arch[];
    group: Group;
    source: Source;
    severity: Severity;
    title: string;
    why: string;
    differsFromKhc?: string;
}

const IPV6_OFF = "C:ipv6.disable=1";

export const SYSCTL_RULES: SysctlRule[] = [
    { key: "kernel.kptr_restrict", value: "2", direction: "atLeast", profile: "baseline", group: "cut_attack_surface", source: "kspp+post",
        severity: "high", title: "Kernel pointers are hidden, even from root",
        why: "Leaked kernel addresses undo KASLR; the post asks for at least 1 (hidden from users), KSPP for 2, which we require." },
    { key: "kernel.dmesg_restrict", value: "1", direction: "exactly", profile: "baseline", group: "cut_attack_surface", source: "kspp+post",
        severity: "medium", title: "Only root can read the kernel log", why: "The kernel log can leak kernel pointers and other state useful to an exploit." },
    { key: "kernel.kexec_load_disabled", value: "1", direction: "exactly", needs: "KEXEC_CORE", oneWay: true, profile: "baseline",
        group: "cut_attack_surface", source: "kspp+post", severity: "medium", title: "kexec is disabled after boot",
        why: "Stops root from jumping into another kernel; one-way until reboot, so load any crash kernel before setting it." },
    { key: "kernel.perf_event_paranoid", value: "3", direction: "atLeast", needs: "PERF_EVENTS", profile: "strict", group: "cut_attack_surface",
        source: "kspp", severity: "medium", title: "Unprivileged perf events are denied",
        why: "perf is a large attack surface for unprivileged users; 3 needs the Debian/Android patch, mainline treats values above 2 as 2." },
    { key: "kernel.yama.ptrace_scope", value: "3", direction: "atLeast", profile: "strict", group: "harden_userspace",
        source: "kspp", severity: "medium", title: "ptrace attach is disabled",
        why: "Stops a compromised process from reading or injecting into others; 3 is one-way until reboot, 2 (admin-only) where root must debug." },
    { key: "kernel.unprivileged_bpf_disabled", value: "1", direction: "oneOf", oneOf: ["1", "2"], needs: "BPF_SYSCALL", profile: "strict",
        profileValue: "2", group: "cut_attack_surface", source: "kspp", severity: "high", title: "Unprivileged eBPF is disabled",
        why: "The eBPF verifier is a frequent source of privilege escalations; 1 (locked) and 2 (admin can re-enable) both stop it.",
        differsFromKhc: "KHC wants 1; we also pass 2, which stops unprivileged eBPF the same way but lets root change it back." },
    { key: "net.core.bpf_jit_harden", value: "2", direction: "exactly", needs: "BPF_JIT", profile: "strict", group: "self_protection",
        source: "kspp", severity: "medium", title: "The BPF JIT is hardened for all users",
        why: "Blinds JIT constants so they cannot be used to spray executable gadgets." },
    { key: "user.max_user_namespaces", value: "0", direction: "atMost", orElse: "S:kernel.unprivileged_userns_clone=0", needs: "USER_NS",
        group: "cut_attack_surface", source: "kspp", severity: "low", title: "Unprivileged user namespaces are disabled",
        why: "User namespaces expose root-only kernel code to users, but 0 breaks rootless containers, browser sandboxes and some daemons." },
    { key: "dev.tty.ldisc_autoload", value: "0", direction: "exactly", since: [5, 1], profile: "strict", group: "cut_attack_surface",
        source: "kspp", severity: "medium", title: "TTY line disciplines are not autoloaded",
        why: "Stops users from loading rarely used, buggy line-discipline modules by opening a tty." },
    { key: "dev.tty.legacy_tiocsti", value: "0", direction: "exactly", since: [6, 2], profile: "strict", group: "cut_attack_surface",
        source: "kspp", severity: "medium", title: "TIOCSTI input injection is disabled",
        why: "TIOCSTI lets a process push keystrokes into its controlling terminal, a classic sandbox and su escape." },
    { key: "vm.unprivileged_userfaultfd", value: "0", direction: "exactly", needs: "USERFAULTFD", since: [5, 2], profile: "strict",
        group: "cut_attack_surface", source: "kspp", severity: "medium", title: "Unprivileged userfaultfd is disabled",
        why: "userfaultfd lets an attacker pause the kernel mid-copy, which makes race exploits reliable." },
    { key: "kernel.io_uring_disabled", value: "2", direction: "atLeast", needs: "IO_URING", since: [6, 6], profile: "strict",
        group: "cut_attack_surface", source: "grsec", severity: "medium", title: "io_uring is disabled",
        why: "io_uring has been a steady source of kernel exploits; 2 also breaks software that uses it." },
    { key: "kernel.sysrq", value: "0", direction: "exactly", needs: "MAGIC_SYSRQ", profile: "strict", group: "cut_attack_surface",
        source: "a13xp0p0v", severity: "low", title: "Magic SysRq is disabled",
        why: "SysRq lets anyone at the console or with write access to /proc/sysrq-trigger reboot, kill or dump the system." },
    { key: "kernel.randomize_va_space", value: "2", direction: "atLeast", profile: "strict", group: "harden_userspace", source: "kspp",
        severity: "high", title: "Full userspace ASLR", why: "Randomises stack, mmap, vDSO and heap addresses of every process." },
    { key: "fs.protected_symlinks", value: "1", direction: "atLeast", profile: "strict", group: "harden_userspace", source: "kspp",
        severity: "medium", title: "Symlinks in sticky directories are protected", why: "Blocks /tmp symlink races against privileged programs." },
    { key: "fs.protected_hardlinks", value: "1", direction: "atLeast", profile: "strict", group: "harden_userspace", source: "kspp",
        severity: "medium", title: "Hardlinks to others' files are restricted", why: "Blocks hardlink races against privileged programs." },
    { key: "fs.protected_fifos", value: "2", direction: "atLeast", since: [4, 19], profile: "strict", group: "harden_userspace",
        source: "kspp", severity: "low", title: "FIFOs in sticky directories are protected",
        why: "Stops privileged programs from writing into FIFOs an attacker planted in /tmp." },
    { key: "fs.protected_regular", value: "2", direction: "atLeast", since: [4, 19], profile: "strict", group: "harden_userspace",
        source: "kspp", severity: "low", title: "Regular files in sticky directories are protected",
        why: "Stops privileged programs from opening files an attacker planted in /tmp." },
    { key: "fs.suid_dumpable", value: "0", direction: "exactly", profile: "strict", group: "harden_userspace", source: "kspp",
        severity: "medium", title: "setuid programs do not dump core", why: "Core dumps of privileged processes can leak secrets such as password hashes." },
    { key: "vm.mmap_min_addr", value: "65536", direction: "atLeast", arch: ["x86_64"], profile: "strict", group: "self_protection",
        source: "kspp", severity: "medium", title: "Low memory cannot be mapped",
        why: "Keeps userspace from mapping page zero, which turns kernel NULL dereferences into exploits." },
    { key: "vm.mmap_min_addr", value: "65536", direction: "atLeast", also: "K:COMPAT!", arch: ["arm64"], profile: "strict",
        profileValue: "32768", group: "self_protection", source: "kspp", severity: "medium", title: "Low memory cannot be mapped",
        why: "Keeps userspace from mapping page zero; on arm64 65536 needs COMPAT off (32-bit programs need 32768)." },
    { key: "kernel.modules_disabled", value: "1", direction: "exactly", needs: "MODULES", oneWay: true, profile: "strict",
        group: "cut_attack_surface", source: "kspp", severity: "low", title: "Module loading is disabled after boot",
        why: "Stops any further module loading; one-way until reboot, so only for hosts whose modules are all loaded at boot." },
    { key: "kernel.oops_limit", value: "100", direction: "exactly", since: [6, 2], group: "self_protection", source: "a13xp0p0v",
        severity: "low", title: "The kernel panics after 100 oopses",
        why: "An attacker who can retry a crashing exploit forever will eventually win a race or overflow a counter." },
    { key: "kernel.warn_limit", value: "100", direction: "exactly", since: [6, 2], group: "self_protection", source: "a13xp0p0v",
        severity: "low", title: "The kernel panics after 100 warnings", why: "The same limit on retries for bugs that only warn." },
    { key: "kernel.apparmor_restrict_unprivileged_unconfined", value: "1", direction: "exactly",
        orElse: "S:kernel.apparmor_restrict_unprivileged_unconfined!", group: "security_policy", source: "ubuntu", severity: "low",
        title: "Unconfined programs cannot use AppArmor to gain user namespaces (Ubuntu)",
        why: "On Ubuntu kernels, stops unprivileged programs from escaping AppArmor's user-namespace restriction." },
    ...[
        ["net.ipv4.icmp_ignore_bogus_error_responses", "1", "Bogus ICMP error responses are ignored"],
        ["net.ipv4.icmp_echo_ignore_broadcasts", "1", "Broadcast pings are ignored (smurf attacks)"],
        ["net.ipv4.conf.all.accept_redirects", "0", "ICMP redirects are refused"],
        ["net.ipv4.conf.default.accept_redirects", "0", "ICMP redirects are refused on new interfaces"],
        ["net.ipv6.conf.all.accept_redirects", "0", "IPv6 redirects are refused"],
        ["net.ipv6.conf.default.accept_redirects", "0", "IPv6 redirects are refused on new interfaces"],
        ["net.ipv4.conf.all.accept_source_route", "0", "Source-routed packets are refused"],
        ["net.ipv4.conf.default.accept_source_route", "0", "Source-routed packets are refused on new interfaces"],
        ["net.ipv6.conf.all.accept_source_route", "0", "IPv6 source-routed packets are refused"],
        ["net.ipv6.conf.default.accept_source_route", "0", "IPv6 source-routed packets are refused on new interfaces"],
        ["net.ipv4.tcp_syncookies", "1", "SYN cookies are on"],
        ["net.ipv6.conf.all.accept_ra", "0", "IPv6 router advertisements are refused"],
        ["net.ipv6.conf.default.accept_ra", "0", "IPv6 router advertisements are refused on new interfaces"],
    ].map(([key, value, title]): SysctlRule => ({
        key, value, direction: "exactly", title, group: "network_security", source: "cis", severity: "low",
        orElse: key.startsWith("net.ipv6.") ? IPV6_OFF : undefined,
        why: "A CIS benchmark network setting: the host does not let the network rewrite its routing or flood it.",
    })),
    { key: "vm.mmap_rnd_bits", value: "MAX", direction: "atLeast", group: "harden_userspace", source: "a13xp0p0v", severity: "low",
        title: "mmap randomisation uses every bit the kernel allows", why: "More random bits make mmap addresses harder to guess." },
    { key: "vm.mmap_rnd_compat_bits", value: "MAX", direction: "atLeast", orElse: "K:COMPAT!", group: "harden_userspace",
        source: "a13xp0p0v", severity: "low", title: "mmap randomisation for 32-bit programs uses every bit",
        why: "More random bits make mmap addresses of 32-bit programs harder to guess." },
];

/** Every sysctl key the audit reads; the host read asks for exactly these. */
export const AUDIT_SYSCTL_KEYS: string[] = [
    ...new Set([...SYSCTL_RULES.map((r) => r.key), "kernel.unprivileged_userns_clone"]),
];

/** Whether `v` is at least as strict as the rule's recommendation. */
export function meetsRule(r: Pick<SysctlRule, "direction" | "oneOf">, want: string, v: string): boolean {
    const n = /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : null;
    const w = /^-?\d+$/.test(want) ? Number(want) : null;
    switch (r.direction) {
        case "oneOf": return (r.oneOf ?? [want]).some((x) => (n !== null && /^-?\d+$/.test(x) ? Number(x) === n : x === v.trim()));
        case "exactly": return n !== null && w !== null ? n === w : v.trim() === want;
        case "atLeast": return n !== null && w !== null && n >= w;
        case "atMost": return n !== null && w !== null && n <= w;
    }
}
