// The shape of the rule tables. Rules are data: a condition in the engine's language (or, for the
// few that need more, a function of the facts) plus the words a person reads.
import { Arch, Ctx, Tri } from "../engine";

export type Status = "pass" | "fail" | "unknown";
export type Severity = "low" | "medium" | "high" | "critical";
export type Category = "kconfig" | "cmdline" | "sysctl" | "runtime";
/** KHC's classification of what a check protects. */
export type Group = "self_protection" | "security_policy" | "cut_attack_surface" | "harden_userspace" | "network_security";
/** Who recommends it: the post, KSPP, the kernel's defconfig, grsecurity, CLIP OS, ... */
export type Source =
    | "cloudflare-post" | "kspp" | "kspp+post" | "defconfig" | "grsec" | "clipos" | "a13xp0p0v" | "maintainer"
    | "lockdown" | "grapheneos" | "cis" | "ubuntu" | "debian";

export interface Finding {
    /** Stable and unique, e.g. "kconfig.MODULE_SIG_FORCE", "sysctl.kernel.kptr_restrict", "cmdline.init_on_alloc". */
    id: string;
    title: string;
    category: Category;
    source: Source;
    severity: Severity;
    status: Status;
    observed: string | null;
    expected: string;
    /** One line. */
    why: string;
    /** Which of our resources sets it, or what kernel build it needs. */
    fix: string;
    /** What the check protects (KHC's grouping). */
    group: Group;
    /** Where our verdict differs from kernel-hardening-checker's on purpose, why. */
    differsFromKhc?: string;
}

export interface Rule {
    /** Defaults to `<category>.<name of the condition's first option>`. */
    id?: string;
    category: Category;
    /** A condition in the engine's language. */
    test: string;
    arch?: Arch[];
    group: Group;
    source: Source;
    severity: Severity;
    title?: string;
    why: string;
    fix?: string;
    expected?: string;
    differsFromKhc?: string;
}

/** A rule that needs more than a condition (runtime state): it computes its own verdict. */
export interface CustomRule extends Omit<Rule, "test"> {
    id: string;
    evaluate(c: Ctx): { verdict: Tri; observed: string | null; fix?: string };
}
