// Kernel security audit: host facts in, findings out. Pure, so every rule is unit-tested.
// Sources: Cloudflare's "Linux kernel security tunables everyone should consider adopting" (the post)
// and the KSPP recommended settings as merged with kernel-hardening-checker (KHC). Where a kconfig
// default makes a command-line parameter implicit, the check passes the way KHC's OR/AND rules do.
import { HostFacts, LockdownLevel, parseCmdline } from "./facts";

export type Status = "pass" | "fail" | "unknown";
export type Severity = "low" | "medium" | "high" | "critical";

export interface Finding {
    /** Stable and unique, e.g. "kconfig.MODULE_SIG_FORCE", "sysctl.kernel.kptr_restrict", "cmdline.init_on_alloc". */
    id: string;
    title: string;
    category: "kconfig" | "cmdline" | "sysctl" | "runtime";
    source: "cloudflare-post" | "kspp" | "kspp+post";
    severity: Severity;
    status: Status;
    observed: string | null;
    expected: string;
    /** One line. */
    why: string;
    /** Which of our resources sets it, or what kernel build it needs. */
    fix: string;
}

type Meta = Omit<Finding, "status" | "observed">;
type Source = Finding["source"];

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** Three-valued logic: null means a fact needed to decide is unknown. */
type Tri = boolean | null;
const anyOf = (...xs: Tri[]): Tri => (xs.includes(true) ? true : xs.includes(null) ? null : false);
const allOf = (...xs: Tri[]): Tri => (xs.includes(false) ? false : xs.includes(null) ? null : true);
const not = (t: Tri): Tri => (t === null ? null : !t);
const toStatus = (t: Tri): Status => (t === null ? "unknown" : t ? "pass" : "fail");

function make(meta: Meta, verdict: Tri, observed: string | null): Finding {
    return { ...meta, status: toStatus(verdict), observed };
}

interface Ctx {
    f: HostFacts;
    cmd: Map<string, string | true> | null;
}

// ---------------------------------------------------------------------------------------------
// Fact accessors

/** Value of CONFIG_<name>; an option missing from the file is not set ("n"). null without a kconfig. */
function kval(c: Ctx, name: string): string | null {
    if (c.f.kconfig === null) return null;
    return c.f.kconfig.get(`CONFIG_${name}`) ?? "n";
}

function kIs(c: Ctx, name: string, want: string): Tri {
    const v = kval(c, name);
    return v === null ? null : v === want;
}

/** "CONFIG_A=y, CONFIG_B is not set", or null without a kconfig. */
function kShow(c: Ctx, names: string[]): string | null {
    const kconfig = c.f.kconfig;
    if (kconfig === null) return null;
    return names
        .map((n) => {
            const v = kconfig.get(`CONFIG_${n}`) ?? "n";
            return v === "n" ? `CONFIG_${n} is not set` : `CONFIG_${n}=${v}`;
        })
        .join(", ");
}

/** The kernel's kstrtobool(): only the first one or two characters count (1/y/yes/t/true/on). */
function kstrtobool(v: string): boolean | null {
    if (/^([1yt]|on)/i.test(v)) return true;
    if (/^([0nf]|of)/i.test(v)) return false;
    return null;
}

/** The parameter's value, undefined when absent, null when the command line is unknown. */
function param(c: Ctx, name: string): string | true | undefined | null {
    return c.cmd === null ? null : c.cmd.get(name);
}

function paramEq(c: Ctx, name: string, value: string): Tri {
    const v = param(c, name);
    return v === null ? null : v === value;
}

function paramAbsent(c: Ctx, name: string): Tri {
    const v = param(c, name);
    return v === null ? null : v === undefined;
}

const paramPresent = (c: Ctx, name: string): Tri => not(paramAbsent(c, name));

function paramShow(c: Ctx, name: string): string | null {
    const v = param(c, name);
    if (v === null) return null;
    if (v === undefined) return `${name} not given`;
    return v === true ? name : `${name}=${v}`;
}

const joinKnown = (...parts: (string | null)[]): string | null => {
    const known = parts.filter((p): p is string => p !== null);
    return known.length ? known.join("; ") : null;
};

/** An unknown arch counts as x86, the common case, so its checks still run. */
function isX86(arch: string | null): boolean {
    return arch === null || /^(x86_64|amd64|i[3-6]86|x86)$/.test(arch);
}

function isArm(arch: string | null): boolean {
    return arch !== null && /^(arm|aarch64)/.test(arch);
}

/** [major, minor] of a release such as "6.1.0-18-cloud-amd64". */
function kernelVersion(release: string | null): [number, number] | null {
    const m = /^(\d+)\.(\d+)/.exec(release ?? "");
    return m ? [Number(m[1]), Number(m[2])] : null;
}

function olderThan(c: Ctx, since: [number, number]): boolean {
    const v = kernelVersion(c.f.kernelRelease);
    return v !== null && (v[0] < since[0] || (v[0] === since[0] && v[1] < since[1]));
}

// ---------------------------------------------------------------------------------------------
// kconfig: what the kernel was built with. Failing ones need a rebuilt kernel.

const rebuild = (what: string) => `needs a kernel built with ${what}`;

function kconfigMeta(option: string, title: string, source: Source, severity: Severity, expected: string, why: string, fix = rebuild(expected)): Meta {
    return { id: `kconfig.${option}`, title, category: "kconfig", source, severity, expected, why, fix };
}

/** Passes when any of `options` is "y". */
function kAnyY(c: Ctx, meta: Meta, options: string[]): Finding {
    return make(meta, anyOf(...options.map((o) => kIs(c, o, "y"))), kShow(c, options));
}

function kNotSet(c: Ctx, meta: Meta, option: string): Finding {
    return make(meta, kIs(c, option, "n"), kShow(c, [option]));
}

function moduleSig(c: Ctx): Finding {
    const meta = kconfigMeta("MODULE_SIG", "Kernel modules are signature-checked", "kspp+post", "high", "CONFIG_MODULE_SIG=y",
        "Without signature checking any root process can inject arbitrary code into the kernel as a module.");
    return make(meta, anyOf(kIs(c, "MODULE_SIG", "y"), kIs(c, "MODULES", "n")), kShow(c, ["MODULE_SIG", "MODULES"]));
}

/** Enforcement can come from the build, the command line, or (as read at runtime) either. */
function moduleSigForce(c: Ctx): Finding {
    const meta = kconfigMeta("MODULE_SIG_FORCE", "Unsigned kernel modules are rejected", "kspp+post", "high",
        "CONFIG_MODULE_SIG_FORCE=y, or module.sig_enforce=1 on the kernel command line",
        "With signatures checked but not enforced an unsigned module still loads (only tainting the kernel), as the post's SELinux-disabling module shows.",
        `${rebuild("CONFIG_MODULE_SIG_FORCE=y")}, or module.sig_enforce=1 on the kernel command line (your boot loader config); Lockdown mode: integrity also blocks unsigned modules`);
    const sig = param(c, "module.sig_enforce");
    // A bool module parameter given bare means true; without MODULE_SIG the parameter does not exist.
    let fromCmdline: Tri = sig === null ? null : sig === undefined ? false : sig === true || kstrtobool(sig) === true;
    if (kIs(c, "MODULE_SIG", "n") === true) fromCmdline = false;
    const runtime: Tri = c.f.sigEnforce;
    const buildOrCmdline = anyOf(kIs(c, "MODULES", "n"), kIs(c, "MODULE_SIG_FORCE", "y"), fromCmdline);
    // Any positive evidence passes; a runtime "N" settles what build or command line left open.
    const yes = anyOf(runtime === true, buildOrCmdline);
    const verdict = yes === null && runtime === false ? false : yes;
    const runtimeShow = runtime === null ? null : `sig_enforce=${runtime ? "Y" : "N"} at runtime`;
    return make(meta, verdict, joinKnown(kShow(c, ["MODULE_SIG_FORCE"]), paramShow(c, "module.sig_enforce"), runtimeShow));
}

function kexecLegacy(c: Ctx): Finding {
    return kNotSet(c, kconfigMeta("KEXEC", "Legacy kexec_load() is not built", "kspp+post", "high", "CONFIG_KEXEC is not set",
        "kexec_load() executes caller-supplied code buffers unverified, which bypasses secure boot and module signing.", rebuild("CONFIG_KEXEC not set")), "KEXEC");
}

function kexecFile(c: Ctx): Finding {
    return kAnyY(c, kconfigMeta("KEXEC_FILE", "kexec_file_load() is available for crash dumps", "cloudflare-post", "low", "CONFIG_KEXEC_FILE=y",
        "Not a hardening measure by itself: it keeps kdump working once legacy KEXEC is off, and can verify the image it loads."), ["KEXEC_FILE"]);
}

/** Without KEXEC_FILE there is no kexec_file_load() to verify, so that passes too. */
function kexecSig(c: Ctx, option: "KEXEC_SIG" | "KEXEC_SIG_FORCE"): Finding {
    const meta = option === "KEXEC_SIG"
        ? kconfigMeta(option, "kexec_file_load() verifies image signatures", "cloudflare-post", "medium", "CONFIG_KEXEC_SIG=y (or CONFIG_KEXEC_FILE not set)",
            "Lets the kernel check the signature of the kernel image it is asked to jump to.", rebuild("CONFIG_KEXEC_SIG=y"))
        : kconfigMeta(option, "kexec_file_load() rejects unsigned images", "cloudflare-post", "high", "CONFIG_KEXEC_SIG_FORCE=y (or CONFIG_KEXEC_FILE not set)",
            "Without enforcement root can still kexec into an unsigned, tampered kernel.", rebuild("CONFIG_KEXEC_SIG_FORCE=y"));
    return make(meta, anyOf(kIs(c, option, "y"), kIs(c, "KEXEC_FILE", "n")), kShow(c, ["KEXEC_FILE", option]));
}

function selinuxDevelop(c: Ctx): Finding {
    const meta = kconfigMeta("SECURITY_SELINUX_DEVELOP", "SELinux cannot be switched to permissive at runtime", "kspp+post", "medium",
        "CONFIG_SECURITY_SELINUX_DEVELOP is not set (when SELinux is built)",
        "DEVELOP keeps a runtime 'enforcing' flag that a kernel write primitive (or setenforce 0) can flip to turn SELinux off.",
        rebuild("CONFIG_SECURITY_SELINUX_DEVELOP not set"));
    if (kIs(c, "SECURITY_SELINUX", "y") === false) return make(meta, true, `SELinux not built (${kShow(c, ["SECURITY_SELINUX"])})`);
    return make(meta, kIs(c, "SECURITY_SELINUX_DEVELOP", "n"), kShow(c, ["SECURITY_SELINUX", "SECURITY_SELINUX_DEVELOP"]));
}

function kconfigFindings(c: Ctx): Finding[] {
    return [
        moduleSig(c),
        moduleSigForce(c),
        kexecLegacy(c),
        kexecFile(c),
        kexecSig(c, "KEXEC_SIG"),
        kexecSig(c, "KEXEC_SIG_FORCE"),
        kAnyY(c, kconfigMeta("RANDOMIZE_BASE", "Kernel address space layout randomisation (KASLR)", "kspp+post", "high", "CONFIG_RANDOMIZE_BASE=y",
            "Shifts the kernel to a random address each boot so exploits cannot hardcode the addresses of its structures."), ["RANDOMIZE_BASE"]),
        kAnyY(c, kconfigMeta("SECURITY_DMESG_RESTRICT", "The kernel log is root-only from boot", "kspp+post", "medium", "CONFIG_SECURITY_DMESG_RESTRICT=y",
            "Kernel log messages can leak kernel pointers that undo KASLR; this makes kernel.dmesg_restrict=1 the boot default."), ["SECURITY_DMESG_RESTRICT"]),
        kAnyY(c, kconfigMeta("LOCK_DOWN_KERNEL_FORCE", "Kernel lockdown is forced on from boot", "kspp+post", "medium",
            "CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y or CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY=y",
            "A build-time lockdown level cannot be skipped by a changed command line or an early-boot race.",
            `${rebuild("CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y")} (KSPP: _CONFIDENTIALITY); until then Lockdown mode: integrity raises it at runtime`),
        ["LOCK_DOWN_KERNEL_FORCE_INTEGRITY", "LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY"]),
        selinuxDevelop(c),
        kAnyY(c, kconfigMeta("RANDSTRUCT", "Structure layout randomisation", "kspp+post", "low",
            "CONFIG_RANDSTRUCT_FULL=y (6.1+), CONFIG_RANDSTRUCT_PERFORMANCE=y, or CONFIG_GCC_PLUGIN_RANDSTRUCT=y (older kernels)",
            "Randomised field order stops exploits from knowing where a flag such as selinux_state.enforcing sits; it costs some performance.",
            rebuild("CONFIG_RANDSTRUCT_FULL=y")), ["RANDSTRUCT_FULL", "RANDSTRUCT_PERFORMANCE", "GCC_PLUGIN_RANDSTRUCT"]),
        kAnyY(c, kconfigMeta("SECURITY_LOCKDOWN_LSM", "The lockdown LSM is built", "kspp+post", "medium", "CONFIG_SECURITY_LOCKDOWN_LSM=y",
            "Without it neither lockdown= nor /sys/kernel/security/lockdown exists, so lockdown cannot be turned on at all."), ["SECURITY_LOCKDOWN_LSM"]),
        kAnyY(c, kconfigMeta("SECURITY_LOCKDOWN_LSM_EARLY", "The lockdown LSM starts early in boot", "kspp", "low", "CONFIG_SECURITY_LOCKDOWN_LSM_EARLY=y",
            "Initialises lockdown before other LSMs so a boot-time lockdown level also covers early boot."), ["SECURITY_LOCKDOWN_LSM_EARLY"]),
    ];
}

// ---------------------------------------------------------------------------------------------
// sysctl: live values, all settable by our Sysctl resource.

interface SysctlRule {
    key: string;
    expected: string;
    ok: (n: number) => boolean;
    title: string;
    source: Source;
    severity: Severity;
    why: string;
    /** Kconfig option the key controls: when it is not built the key (and its value) is moot. */
    needs?: string;
    /** First release with the key, to explain why it is missing. */
    since?: [number, number];
    /** The kernel only lets it go one way until reboot (our Sysctl resource guards these). */
    oneWay?: boolean;
}

const eq = (want: number) => (n: number) => n === want;
const atLeast = (min: number) => (n: number) => n >= min;

function sysctlRules(arch: string | null): SysctlRule[] {
    // KSPP: 65536 on x86 and others, 32768 on ARM (DEFAULT_MMAP_MIN_ADDR).
    const mmapMin = isArm(arch) ? 32768 : 65536;
    return [
        { key: "kernel.kptr_restrict", expected: "2", ok: eq(2), title: "Kernel pointers are hidden, even from root", source: "kspp+post", severity: "high",
            why: "Leaked kernel addresses undo KASLR; the post asks for at least 1 (hidden from users), KSPP for 2 (hidden from everyone), which we require." },
        { key: "kernel.dmesg_restrict", expected: "1", ok: eq(1), title: "Only root can read the kernel log", source: "kspp+post", severity: "medium",
            why: "The kernel log can leak kernel pointers and other state useful to an exploit." },
        { key: "kernel.kexec_load_disabled", expected: "1", ok: eq(1), title: "kexec is disabled after boot", source: "kspp+post", severity: "medium", needs: "KEXEC_CORE", oneWay: true,
            why: "Stops root from jumping into another kernel; one-way until reboot, so load any crash kernel before setting it." },
        { key: "kernel.perf_event_paranoid", expected: "3", ok: atLeast(3), title: "Unprivileged perf events are denied", source: "kspp", severity: "medium", needs: "PERF_EVENTS",
            why: "perf is a large attack surface for unprivileged users; 3 needs the Debian/Android patch, mainline treats values above 2 as 2." },
        { key: "kernel.yama.ptrace_scope", expected: "3", ok: eq(3), title: "ptrace attach is disabled", source: "kspp", severity: "medium",
            why: "Stops a compromised process from reading or injecting into others; 3 is one-way until reboot, choose 2 (admin-only) where root must debug." },
        { key: "kernel.unprivileged_bpf_disabled", expected: "1", ok: (n) => n === 1 || n === 2, title: "Unprivileged eBPF is disabled", source: "kspp", severity: "high", needs: "BPF_SYSCALL",
            why: "The eBPF verifier is a frequent source of privilege escalations; 1 (locked) and 2 (admin can re-enable) both pass." },
        { key: "net.core.bpf_jit_harden", expected: "2", ok: eq(2), title: "The BPF JIT is hardened for all users", source: "kspp", severity: "medium", needs: "BPF_JIT",
            why: "Blinds JIT constants so they cannot be used to spray executable gadgets." },
        { key: "user.max_user_namespaces", expected: "0", ok: eq(0), title: "User namespaces are disabled", source: "kspp", severity: "low", needs: "USER_NS",
            why: "Unprivileged user namespaces expose root-only kernel code to users, but 0 breaks rootless containers, browser sandboxes and some daemons." },
        { key: "dev.tty.ldisc_autoload", expected: "0", ok: eq(0), title: "TTY line disciplines are not autoloaded", source: "kspp", severity: "medium", since: [5, 1],
            why: "Stops users from loading rarely used, buggy line-discipline modules by opening a tty." },
        { key: "dev.tty.legacy_tiocsti", expected: "0", ok: eq(0), title: "TIOCSTI input injection is disabled", source: "kspp", severity: "medium", since: [6, 2],
            why: "TIOCSTI lets a process push keystrokes into its controlling terminal, a classic sandbox and su escape." },
        { key: "vm.unprivileged_userfaultfd", expected: "0", ok: eq(0), title: "Unprivileged userfaultfd is disabled", source: "kspp", severity: "medium", needs: "USERFAULTFD", since: [5, 2],
            why: "userfaultfd lets an attacker pause the kernel mid-copy, which makes race exploits reliable." },
        { key: "kernel.io_uring_disabled", expected: "2", ok: eq(2), title: "io_uring is disabled", source: "kspp", severity: "medium", needs: "IO_URING", since: [6, 6],
            why: "io_uring has been a steady source of kernel exploits (grsecurity/KHC recommendation in the merged list); 2 also breaks software that uses it." },
        { key: "kernel.sysrq", expected: "0", ok: eq(0), title: "Magic SysRq is disabled", source: "kspp", severity: "low", needs: "MAGIC_SYSRQ",
            why: "SysRq lets anyone at the console or with write access to /proc/sysrq-trigger reboot, kill or dump the system." },
        { key: "kernel.randomize_va_space", expected: "2", ok: eq(2), title: "Full userspace ASLR", source: "kspp", severity: "high",
            why: "Randomises stack, mmap, vDSO and heap addresses of every process." },
        { key: "fs.protected_symlinks", expected: "1", ok: eq(1), title: "Symlinks in sticky directories are protected", source: "kspp", severity: "medium",
            why: "Blocks /tmp symlink races against privileged programs." },
        { key: "fs.protected_hardlinks", expected: "1", ok: eq(1), title: "Hardlinks to others' files are restricted", source: "kspp", severity: "medium",
            why: "Blocks hardlink races against privileged programs." },
        { key: "fs.protected_fifos", expected: "2", ok: eq(2), title: "FIFOs in sticky directories are protected", source: "kspp", severity: "low", since: [4, 19],
            why: "Stops privileged programs from writing into FIFOs an attacker planted in /tmp." },
        { key: "fs.protected_regular", expected: "2", ok: eq(2), title: "Regular files in sticky directories are protected", source: "kspp", severity: "low", since: [4, 19],
            why: "Stops privileged programs from opening files an attacker planted in /tmp." },
        { key: "fs.suid_dumpable", expected: "0", ok: eq(0), title: "setuid programs do not dump core", source: "kspp", severity: "medium",
            why: "Core dumps of privileged processes can leak secrets such as password hashes." },
        { key: "vm.mmap_min_addr", expected: String(mmapMin), ok: atLeast(mmapMin), title: "Low memory cannot be mapped", source: "kspp", severity: "medium",
            why: "Keeps userspace from mapping page zero, which turns kernel NULL dereferences into exploits." },
        { key: "kernel.modules_disabled", expected: "1", ok: eq(1), title: "Module loading is disabled after boot", source: "kspp", severity: "low", needs: "MODULES", oneWay: true,
            why: "Stops any further module loading; one-way until reboot, so only for hosts whose modules are all loaded at boot." },
    ];
}

function sysctlFinding(c: Ctx, r: SysctlRule): Finding {
    const meta: Meta = {
        id: `sysctl.${r.key}`, title: r.title, category: "sysctl", source: r.source, severity: r.severity, expected: r.expected, why: r.why,
        fix: `Sysctl entries["${r.key}"] = "${r.expected}"${r.oneWay ? " (with allowOneWayKeys: true)" : ""}`,
    };
    const raw: string | null | undefined = c.f.sysctls[r.key];
    const moot = (shown: string) => make(meta, true, `${shown}; CONFIG_${r.needs} is not set, so nothing to restrict`);
    if (raw === undefined || raw === null) {
        // A missing key is safe when its feature is not built (an option left out of .config is not set).
        if (r.needs && kIs(c, r.needs, "n") === true) return moot(raw === null ? "absent" : "not read");
        if (raw === undefined) return make(meta, null, null);
        const note = r.since && olderThan(c, r.since) ? ` (added in ${r.since.join(".")})` : "";
        return make(meta, null, `absent on this kernel (or unreadable)${note}`);
    }
    const value = raw.trim();
    const n = /^-?\d+$/.test(value) ? Number(value) : null;
    if (n !== null && r.ok(n)) return make(meta, true, value);
    // A key that is present is judged on its value, unless the kconfig explicitly says the feature
    // is not built (user.max_user_namespaces exists without USER_NS).
    if (r.needs && c.f.kconfig?.get(`CONFIG_${r.needs}`) === "n") return moot(value);
    return make(meta, false, value);
}

// ---------------------------------------------------------------------------------------------
// cmdline: boot parameters. Only lockdown= is persisted by our Lockdown resource.

const bootLoader = (p: string) => `kernel command line ${p} (your boot loader config; the Lockdown resource persists only lockdown=)`;

function cmdlineMeta(id: string, title: string, source: Source, severity: Severity, expected: string, why: string, fix: string): Meta {
    return { id: `cmdline.${id}`, title, category: "cmdline", source, severity, expected, why, fix };
}

interface BoolParamRule {
    param: string;
    expected: string;
    title: string;
    severity: Severity;
    source: Source;
    why: string;
    /** Kconfig option that turns the feature on when the parameter is absent. */
    defaultOn?: string;
    /**
     * Kernels from before `defaultOn` was added have no line for it at all (a newer .config always
     * lists it, set or not, once its dependencies are met); this option then decides the default.
     */
    defaultOnBefore?: { option: string; since: string };
    /** Kconfig option without which the parameter is ignored. */
    requires?: string;
    /** Module parameters (name.x) take a bare name as true; early_param handlers reject it. */
    bareIsTrue?: boolean;
}

const BOOL_PARAMS: BoolParamRule[] = [
    { param: "init_on_alloc", expected: "1", title: "Memory is zeroed on allocation", severity: "medium", source: "kspp", defaultOn: "INIT_ON_ALLOC_DEFAULT_ON",
        why: "Stops stale heap and page contents from leaking into new allocations (uninitialised-memory bugs)." },
    { param: "init_on_free", expected: "1", title: "Memory is wiped on free", severity: "low", source: "kspp", defaultOn: "INIT_ON_FREE_DEFAULT_ON",
        why: "Limits the lifetime of secrets and use-after-free data in freed memory; costs a few percent." },
    // 6.15 added HARDENED_USERCOPY_DEFAULT_ON: a kernel can now build the checks but leave them off
    // (openSUSE does). Before it, HARDENED_USERCOPY=y meant on unless hardened_usercopy=0.
    { param: "hardened_usercopy", expected: "1", title: "Hardened usercopy is on", severity: "medium", source: "kspp",
        defaultOn: "HARDENED_USERCOPY_DEFAULT_ON", defaultOnBefore: { option: "HARDENED_USERCOPY", since: "6.15" }, requires: "HARDENED_USERCOPY",
        why: "Bounds-checks kernel/user copies against the slab object, stopping many heap overflows and leaks." },
    { param: "randomize_kstack_offset", expected: "on", title: "Kernel stack offset is randomised per syscall", severity: "low", source: "kspp",
        defaultOn: "RANDOMIZE_KSTACK_OFFSET_DEFAULT", requires: "RANDOMIZE_KSTACK_OFFSET",
        why: "Makes stack-based attacks that depend on a fixed stack layout across syscalls unreliable." },
    { param: "page_alloc.shuffle", expected: "1", title: "The page allocator freelist is shuffled", severity: "low", source: "kspp", requires: "SHUFFLE_PAGE_ALLOCATOR", bareIsTrue: true,
        why: "Randomises page allocation order, making heap layout harder to predict." },
    { param: "module.sig_enforce", expected: "1", title: "Module signatures are enforced from the command line", severity: "high", source: "kspp+post",
        defaultOn: "MODULE_SIG_FORCE", requires: "MODULE_SIG", bareIsTrue: true,
        why: "Rejects unsigned modules even on a kernel built without MODULE_SIG_FORCE, such as Debian's." },
];

function boolExpected(r: BoolParamRule): string {
    let s = `${r.param}=${r.expected}`;
    if (r.defaultOn) s += ` (or absent with CONFIG_${r.defaultOn}=y`;
    if (r.defaultOnBefore) s += `, or CONFIG_${r.defaultOnBefore.option}=y before ${r.defaultOnBefore.since}`;
    if (r.defaultOn) s += ")";
    if (r.requires && r.requires !== r.defaultOn) s += `; needs CONFIG_${r.requires}=y`;
    return s;
}

/** The option that sets the default on this kernel: `defaultOn`, or its predecessor when the config has no line for it. */
function defaultOption(c: Ctx, r: BoolParamRule): string | undefined {
    if (r.defaultOnBefore && c.f.kconfig !== null && !c.f.kconfig.has(`CONFIG_${r.defaultOn}`)) return r.defaultOnBefore.option;
    return r.defaultOn;
}

function boolParam(c: Ctx, r: BoolParamRule): Finding {
    const fix = bootLoader(`${r.param}=${r.expected}`) + (r.defaultOn ? `, or ${rebuild(`CONFIG_${r.defaultOn}=y`)}` : "");
    const meta = cmdlineMeta(r.param, r.title, r.source, r.severity, boolExpected(r), r.why, fix);
    const v = param(c, r.param);
    if (v === null) return make(meta, null, null);
    // An absent or unparseable value leaves the build default in force.
    const given = v === undefined ? null : v === true ? (r.bareIsTrue ? true : null) : kstrtobool(v);
    const defaultOn = defaultOption(c, r);
    let on: Tri = given ?? (defaultOn ? kIs(c, defaultOn, "y") : false);
    if (on === true && r.requires && kIs(c, r.requires, "y") === false) on = false;
    const options = [...new Set([defaultOn, r.requires].filter((o): o is string => o !== undefined))];
    return make(meta, on, joinKnown(paramShow(c, r.param), options.length ? kShow(c, options) : null));
}

function slabNomerge(c: Ctx): Finding {
    const meta = cmdlineMeta("slab_nomerge", "Slab caches are not merged", "kspp", "low", "slab_nomerge (or CONFIG_SLAB_MERGE_DEFAULT not set, with no slab_merge/slub_merge)",
        "Merged caches let an overflow in one object type hit objects of another type.", `${bootLoader("slab_nomerge")}, or ${rebuild("CONFIG_SLAB_MERGE_DEFAULT not set")}`);
    const verdict = anyOf(
        paramPresent(c, "slab_nomerge"),
        allOf(kIs(c, "SLAB_MERGE_DEFAULT", "n"), paramAbsent(c, "slab_merge"), paramAbsent(c, "slub_merge")),
    );
    return make(meta, verdict, joinKnown(paramShow(c, "slab_nomerge"), paramShow(c, "slab_merge"), paramShow(c, "slub_merge"), kShow(c, ["SLAB_MERGE_DEFAULT"])));
}

function lockdownParam(c: Ctx): Finding {
    const meta = cmdlineMeta("lockdown", "Lockdown is set on the command line", "kspp", "medium",
        "lockdown=integrity or lockdown=confidentiality (KSPP: confidentiality), or a kernel built with LOCK_DOWN_KERNEL_FORCE_*",
        "Applies lockdown from boot, before any userspace runs, and on every reboot.",
        "kernel command line lockdown=integrity (the Lockdown resource persists lockdown=...)");
    const v = param(c, "lockdown");
    const given: Tri = v === null ? null : v === "integrity" || v === "confidentiality";
    const forced = anyOf(kIs(c, "LOCK_DOWN_KERNEL_FORCE_INTEGRITY", "y"), kIs(c, "LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY", "y"));
    // lockdown= is ignored by a kernel without the lockdown LSM.
    const verdict = kIs(c, "SECURITY_LOCKDOWN_LSM", "n") === true ? false : anyOf(given, forced);
    return make(meta, verdict, joinKnown(paramShow(c, "lockdown"), kShow(c, ["SECURITY_LOCKDOWN_LSM", "LOCK_DOWN_KERNEL_FORCE_INTEGRITY", "LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY"])));
}

function x86Params(c: Ctx): Finding[] {
    if (!isX86(c.f.arch)) return [];
    const pti = make(
        cmdlineMeta("pti", "Page table isolation is forced on", "kspp", "low", "pti=on, and no nopti",
            "Isolates kernel page tables from userspace (Meltdown); auto already enables it on affected CPUs, on forces it everywhere.", bootLoader("pti=on")),
        allOf(paramEq(c, "pti", "on"), paramAbsent(c, "nopti")),
        joinKnown(paramShow(c, "pti"), paramShow(c, "nopti")),
    );
    if (c.f.arch !== null && !/^(x86_64|amd64)$/.test(c.f.arch)) return [pti];
    const vsyscall = make(
        cmdlineMeta("vsyscall", "Legacy vsyscall page is off", "kspp", "medium", "vsyscall=none (or CONFIG_X86_VSYSCALL_EMULATION not set, or CONFIG_LEGACY_VSYSCALL_NONE=y)",
            "The vsyscall page sits at a fixed address, a ready-made target for exploits.", bootLoader("vsyscall=none")),
        anyOf(paramEq(c, "vsyscall", "none"), kIs(c, "X86_VSYSCALL_EMULATION", "n"), allOf(kIs(c, "LEGACY_VSYSCALL_NONE", "y"), paramAbsent(c, "vsyscall"))),
        joinKnown(paramShow(c, "vsyscall"), kShow(c, ["X86_VSYSCALL_EMULATION", "LEGACY_VSYSCALL_NONE"])),
    );
    return [pti, vsyscall];
}

/** Parameters that switch a protection off: each must be absent. */
const FORBIDDEN: { param: string; severity: Severity; why: string }[] = [
    { param: "nokaslr", severity: "high", why: "Turns KASLR off, putting every kernel symbol at its published address." },
    { param: "nopti", severity: "medium", why: "Turns page table isolation off, exposing kernel memory to Meltdown on affected CPUs." },
    { param: "nosmep", severity: "high", why: "Lets the kernel execute userspace memory, the easiest way to turn a kernel bug into code execution." },
    { param: "nosmap", severity: "high", why: "Lets the kernel read and write userspace memory freely, simplifying exploits." },
    { param: "norandmaps", severity: "medium", why: "Turns userspace ASLR off for every process." },
    { param: "no_hash_pointers", severity: "medium", why: "Prints raw kernel pointers in logs, undoing KASLR." },
    { param: "sysrq_always_enabled", severity: "low", why: "Forces Magic SysRq on regardless of kernel.sysrq." },
];

/** Per-bug CPU mitigation switches (x86 and arm64) that KHC requires not to be "off". */
const MITIGATION_PARAMS = [
    "spectre_v2", "spectre_v2_user", "spectre_bhi", "spec_store_bypass_disable", "l1tf", "mds", "tsx_async_abort", "srbds",
    "mmio_stale_data", "retbleed", "spec_rstack_overflow", "gather_data_sampling", "reg_file_data_sampling", "kpti", "ssbd", "tsa", "indirect_target_selection", "vmscape",
];

function forbiddenParams(c: Ctx): Finding[] {
    const absent = FORBIDDEN.map(({ param: p, severity, why }) =>
        make(cmdlineMeta(p, `${p} is not on the command line`, "kspp", severity, `${p} absent`, why, bootLoader(`without ${p}`)),
            paramAbsent(c, p), paramShow(c, p)));
    const cmd = c.cmd;
    const nospec = cmd === null ? null : [...cmd.keys()].filter((n) => n.startsWith("nospectre") || n === "nospec_store_bypass_disable");
    const offs = cmd === null ? null : MITIGATION_PARAMS.filter((p) => /^(off|0|force-off)$/.test(String(cmd.get(p))));
    return [
        ...absent,
        make(cmdlineMeta("nospectre", "No nospectre_*/nospec_* switch is given", "kspp", "medium", "no nospectre_* or nospec_store_bypass_disable",
            "Each switches off a speculative-execution mitigation.", bootLoader("without nospectre_*")),
            nospec === null ? null : nospec.length === 0, nospec === null ? null : nospec.join(" ") || "none"),
        make(cmdlineMeta("mitigations", "CPU mitigations are not switched off", "kspp", "high", "mitigations absent, auto or auto,nosmt (KSPP: auto,nosmt); never off",
            "mitigations=off disables every speculative-execution mitigation at once.", bootLoader("without mitigations=off")),
            not(paramEq(c, "mitigations", "off")), paramShow(c, "mitigations")),
        make(cmdlineMeta("mitigation_overrides", "No single CPU mitigation is switched off", "kspp", "medium", `none of ${MITIGATION_PARAMS.join(", ")} set to off`,
            "Each per-bug =off reopens the corresponding CPU vulnerability.", bootLoader("without any per-bug =off")),
            offs === null ? null : offs.length === 0, offs === null ? null : offs.map((p) => `${p}=${cmd?.get(p)}`).join(" ") || "none off"),
    ];
}

function cmdlineFindings(c: Ctx): Finding[] {
    return [...BOOL_PARAMS.map((r) => boolParam(c, r)), slabNomerge(c), lockdownParam(c), ...x86Params(c), ...forbiddenParams(c)];
}

// ---------------------------------------------------------------------------------------------
// runtime: the state the running kernel is in.

const RANK: Record<LockdownLevel, number> = { none: 0, integrity: 1, confidentiality: 2 };
const TAINT_UNSIGNED_MODULE = 1 << 13; // 'E', see Documentation/admin-guide/tainted-kernels.rst

function lockdownNow(c: Ctx): Finding {
    const meta: Meta = {
        id: "runtime.lockdown", title: "Kernel lockdown is active", category: "runtime", source: "kspp+post", severity: "high",
        expected: "integrity or confidentiality (KSPP: confidentiality)",
        why: "Integrity blocks unsigned modules, kexec and raw kernel memory access even where the build does not enforce them; it cannot be lowered until reboot.",
        fix: "Lockdown mode: integrity",
    };
    const { lockdown, lsms } = c.f;
    if (lockdown !== null) return make(meta, RANK[lockdown.current] >= RANK.integrity, lockdown.available.map((l) => (l === lockdown.current ? `[${l}]` : l)).join(" "));
    if (lsms !== null && !lsms.includes("lockdown")) return make(meta, false, `lockdown LSM not active (active: ${lsms.join(",") || "none"})`);
    return make(meta, null, null);
}

function unsignedModuleTaint(c: Ctx): Finding {
    const meta: Meta = {
        id: "runtime.taint.unsigned_module", title: "No unsigned module has been loaded", category: "runtime", source: "cloudflare-post", severity: "critical",
        expected: `taint bit 13 (${TAINT_UNSIGNED_MODULE}, 'E') clear`,
        why: "An unsigned module ran with full kernel privileges; it may have changed kernel state as the post's SELinux example does.",
        fix: "find and remove the module, reboot to clear the taint, then enforce signatures (module.sig_enforce=1 or Lockdown mode: integrity)",
    };
    const t = c.f.tainted;
    if (t === null) return make(meta, null, null);
    const bad = (t & TAINT_UNSIGNED_MODULE) !== 0;
    return make(meta, !bad, bad ? `tainted=${t}: kernel tainted by an unsigned module` : `tainted=${t}`);
}

// ---------------------------------------------------------------------------------------------

export function audit(f: HostFacts): Finding[] {
    const c: Ctx = { f, cmd: f.cmdline === null ? null : parseCmdline(f.cmdline) };
    return [
        ...kconfigFindings(c),
        ...cmdlineFindings(c),
        ...sysctlRules(f.arch).map((r) => sysctlFinding(c, r)),
        lockdownNow(c),
        unsignedModuleTaint(c),
    ];
}

export function summarize(fs: Finding[]): { pass: number; fail: number; unknown: number; needsKernelRebuild: string[] } {
    const count = (s: Status) => fs.filter((x) => x.status === s).length;
    return {
        pass: count("pass"),
        fail: count("fail"),
        unknown: count("unknown"),
        needsKernelRebuild: fs.filter((x) => x.category === "kconfig" && x.status === "fail").map((x) => x.id),
    };
}

export function failsAtOrAbove(fs: Finding[], min: Severity): Finding[] {
    return fs.filter((x) => x.status === "fail" && SEVERITY_RANK[x.severity] >= SEVERITY_RANK[min]);
}
