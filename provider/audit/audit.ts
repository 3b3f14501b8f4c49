// The audit: facts in, findings out, by evaluating the rule tables with the engine. Pure.
import {
    Arch,
    Ctx,
    atoms,
    condText,
    evalCond,
    joinKnown,
    makeCtx,
    observed,
    parseCond,
    showSysctl,
    sysctl,
    Tri,
    versionAtLeast,
} from "./engine";
import { HostFacts } from "./facts";
import { CMDLINE_NOTES, CMDLINE_ROWS } from "./rules/cmdline";
import { KCONFIG_ROWS, NOTES, POST_OPTIONS } from "./rules/kconfig";
import { RUNTIME_RULES } from "./rules/runtime";
import { meetsRule, SYSCTL_RULES, SysctlRule } from "./rules/sysctl";
import { Category, Finding, Group, Rule, Severity, Status } from "./rules/types";

export type { Finding, Severity } from "./rules/types";

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

const GROUP_WHY: Record<Group, string> = {
    self_protection: "Part of the kernel's self-protection: it makes memory-corruption bugs harder to exploit.",
    security_policy: "Keeps the security modules that enforce policy on and impossible to switch off.",
    cut_attack_surface: "Removes kernel code an attacker could reach; less code means fewer bugs to exploit.",
    harden_userspace: "Makes attacks on userspace programs harder.",
    network_security: "Keeps the network from steering or flooding the host.",
};

const GROUP_SEVERITY: Record<Group, Severity> = {
    self_protection: "medium",
    security_policy: "medium",
    cut_attack_surface: "low",
    harden_userspace: "low",
    network_security: "low",
};

const toStatus = (t: Tri): Status => (t === null ? "unknown" : t ? "pass" : "fail");

type Row = Omit<Rule, "category" | "why" | "severity"> & { why?: string; severity?: Severity };

function firstName(test: string): string {
    const a = atoms(parseCond(test))[0];
    return a.kind === "V" ? "version" : a.name;
}

const rebuild = (what: string) => `needs a kernel built with ${what}`;
const bootLoader = (what: string) => `kernel command line: ${what} (your boot loader config)`;

/** A table row with its defaults filled in: id, words, severity, fix. */
function complete(category: Category, row: Row): Rule {
    const name = firstName(row.test);
    const expected = row.expected ?? condText(parseCond(row.test));
    const notes = category === "kconfig" ? NOTES : CMDLINE_NOTES;
    const title =
        row.title ??
        (category === "kconfig" ? `Built with ${expected.split(" or ")[0]}` : `Boot parameter: ${expected}`);
    return {
        ...row,
        id: row.id ?? `${category}.${name}`,
        category,
        source: category === "kconfig" && POST_OPTIONS.has(name) && row.source === "kspp" ? "kspp+post" : row.source,
        severity: row.severity ?? GROUP_SEVERITY[row.group],
        title,
        expected,
        why: row.why ?? notes[name] ?? GROUP_WHY[row.group],
        fix:
            row.fix ??
            (category === "kconfig" ? rebuild(expected.replace(/ is not set/g, " not set")) : bootLoader(expected)),
    };
}

export const KCONFIG_RULES: Rule[] = KCONFIG_ROWS.map((r) => complete("kconfig", r));
export const CMDLINE_RULES: Rule[] = CMDLINE_ROWS.map((r) => complete("cmdline", r));

const applies = (r: { arch?: Arch[] }, arch: Arch) => !r.arch || r.arch.includes(arch);

type Meta = Omit<Rule, "test">;

function finding(r: Meta, status: Status, obs: string | null, fix?: string): Finding {
    const f: Finding = {
        id: r.id!,
        title: r.title!,
        category: r.category,
        source: r.source,
        severity: r.severity,
        status,
        observed: obs,
        expected: r.expected!,
        why: r.why,
        fix: fix ?? r.fix!,
        group: r.group,
    };
    if (r.differsFromKhc) f.differsFromKhc = r.differsFromKhc;
    return f;
}

function ruleFinding(c: Ctx, r: Rule): Finding {
    const cond = parseCond(r.test);
    return finding(r, toStatus(evalCond(c, cond)), observed(c, cond));
}

// ---------------------------------------------------------------------------------------------
// Sysctls: the value against its direction, alternatives, and why a missing key is or is not fine.

function sysctlExpected(r: SysctlRule): string {
    const v = r.value === "MAX" ? `the maximum (CONFIG_ARCH_${r.key.split(".").pop()!.toUpperCase()}_MAX)` : r.value;
    const base =
        r.direction === "oneOf"
            ? (r.oneOf ?? [v]).join(" or ")
            : r.direction === "atLeast"
              ? `${v} or more`
              : r.direction === "atMost"
                ? `${v} or less`
                : v;
    const alt = r.orElse ? ` (or ${condText(parseCond(r.orElse))})` : "";
    return base + alt;
}

export function sysctlRuleId(r: SysctlRule): string {
    return `sysctl.${r.key}`;
}

function sysctlFinding(c: Ctx, r: SysctlRule): Finding {
    const fix = `Sysctl entries["${r.key}"] = "${r.profileValue ?? r.value}"${r.oneWay ? " (with allowOneWayKeys: true)" : ""}`;
    const meta: Meta = { ...r, id: sysctlRuleId(r), category: "sysctl", expected: sysctlExpected(r), fix };
    // MAX is the build's limit: unknown (null) without a kconfig, undefined when the kconfig lacks it.
    const want =
        r.value !== "MAX"
            ? r.value
            : c.f.kconfig === null
              ? null
              : c.f.kconfig.get(`CONFIG_ARCH_${r.key.split(".").pop()!.toUpperCase()}_MAX`);
    const raw = sysctl(c, r.key);
    const alt: Tri = r.orElse ? evalCond(c, parseCond(r.orElse)) : false;
    const also: Tri = r.also ? evalCond(c, parseCond(r.also)) : true;
    const extra = joinKnown(
        r.orElse ? observed(c, parseCond(r.orElse)) : null,
        r.also ? observed(c, parseCond(r.also)) : null,
    );
    const shown = (s: string | null) => joinKnown(s, extra === s ? null : extra);
    const built = r.needs ? c.f.kconfig?.get(`CONFIG_${r.needs}`) : undefined;
    const notBuilt =
        r.needs !== undefined && c.f.kconfig !== null && c.f.kconfig !== undefined && (built ?? "n") === "n";
    const moot = (s: string) =>
        finding(meta, "pass", shown(`${s}; CONFIG_${r.needs} is not set, so nothing to restrict`));
    if (alt === true) return finding(meta, "pass", shown(showSysctl(c, r.key)));
    if (raw === undefined) {
        if (notBuilt) return moot("not read");
        return finding(meta, "unknown", shown(null));
    }
    if (raw === null) {
        if (notBuilt) return moot("absent");
        const tooOld = r.since ? versionAtLeast(c.version, r.since) === false : false;
        if (tooOld) {
            // The feature is built (or cannot be told apart) and this kernel has no switch for it.
            const since = r.since!.join(".");
            return finding(
                meta,
                "fail",
                shown(`absent: this kernel (${c.version!.join(".")}) has no switch for it (added in ${since})`),
                `needs kernel ${since} or newer, where ${fix}`,
            );
        }
        return finding(meta, alt === null ? "unknown" : "fail", shown(`${r.key} absent on this kernel`));
    }
    if (want === null) return finding(meta, "unknown", shown(raw));
    const ok = want !== undefined && meetsRule(r, want, raw);
    if (ok) return finding(meta, toStatus(also), shown(raw));
    // A key that is present is judged on its value, unless the kconfig says the feature is not built.
    if (notBuilt && built === "n") return moot(raw);
    return finding(meta, alt === null ? "unknown" : "fail", shown(raw));
}

// ---------------------------------------------------------------------------------------------

export function audit(f: HostFacts): Finding[] {
    const c = makeCtx(f);
    const out: Finding[] = [];
    for (const r of KCONFIG_RULES) if (applies(r, c.arch)) out.push(ruleFinding(c, r));
    for (const r of CMDLINE_RULES) if (applies(r, c.arch)) out.push(ruleFinding(c, r));
    for (const r of SYSCTL_RULES) if (applies(r, c.arch)) out.push(sysctlFinding(c, r));
    for (const r of RUNTIME_RULES) {
        const v = r.evaluate(c);
        out.push(finding(r, toStatus(v.verdict), v.observed, v.fix));
    }
    return out;
}

export function summarize(fs: Finding[]): {
    pass: number;
    fail: number;
    unknown: number;
    needsKernelRebuild: string[];
} {
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


