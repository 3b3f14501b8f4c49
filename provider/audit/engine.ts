// The audit's engine: three-valued logic over host facts, and a small condition language that the
// rule tables are written in. It knows nothing about any particular option; the rules are data.
//
// Condition language (one string per rule):
//   K:NAME=y   K:NAME=m   K:NAME=65536  kconfig CONFIG_NAME has this value ("MAX": CONFIG_NAME_MAX)
//   K:NAME!    kconfig option not set (absent from the file, or "# ... is not set")
//   K:NAME?    kconfig option present in the file (set or "is not set")
//   K:LSM~yama the comma-separated value contains "yama"
//   C:name=1   C:name!   C:name?   C:name!off   C:name~item     the kernel command line
//   S:key=2    S:key>=3  S:key<=1  S:key!     a sysctl (live value)
//   V>=6.6     the kernel version
//   a | b      a & b      (a | b) & c      -a (not a)
import { HostFacts } from "./facts";
import { canonicalName, parseCmdline } from "../kernel/cmdline";

/** Three-valued logic: null means a fact needed to decide is unknown. */
export type Tri = boolean | null;
export const anyOf = (...xs: Tri[]): Tri => (xs.includes(true) ? true : xs.includes(null) ? null : false);
export const allOf = (...xs: Tri[]): Tri => (xs.includes(false) ? false : xs.includes(null) ? null : true);
export const not = (t: Tri): Tri => (t === null ? null : !t);

export type Arch = "x86_64" | "arm64";

/** A parameter's value: the text after `=`, or true when given bare. */
export type CmdValue = string | true;

/**
 * The kernel's parameters by name, `-` and `_` alike, in the kernel's grammar (kernel/cmdline.ts, the
 * parser KernelCmdline uses too): a bare flag is true, the last occurrence wins, init's part is left out.
 */
export function cmdlineParams(cmdline: string): Map<string, CmdValue> {
    const out = new Map<string, CmdValue>();
    for (const p of parseCmdline(cmdline).params) if (p.name) out.set(canonicalName(p.name), p.value ?? true);
    return out;
}

/** What the rules see: the facts, parsed once. */
export interface Ctx {
    f: HostFacts;
    cmd: Map<string, CmdValue> | null;
    arch: Arch;
    version: number[] | null;
}

export function makeCtx(f: HostFacts): Ctx {
    return { f, cmd: f.cmdline === null ? null : cmdlineParams(f.cmdline), arch: archOf(f), version: versionOf(f) };
}

/** uname -m, or the kconfig's own arch options; an unknown arch counts as x86_64 (the common case). */
export function archOf(f: HostFacts): Arch {
    if (f.arch !== null) return /^(aarch64|arm64)/.test(f.arch) ? "arm64" : "x86_64";
    if (f.kconfig?.get("CONFIG_ARM64") === "y") return "arm64";
    return "x86_64";
}

/** [major, minor, patch] from `uname -r`, else from the kconfig header (`# Linux/x86 6.1.176 ...`). */
export function versionOf(f: HostFacts): number[] | null {
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(f.kernelRelease ?? f.kconfigVersion ?? "");
    return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

export function versionAtLeast(v: number[] | null, want: number[]): Tri {
    if (v === null) return null;
    for (let i = 0; i < want.length; i++) {
        if ((v[i] ?? 0) !== want[i]) return (v[i] ?? 0) > want[i];
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Parsing the condition language

export type Atom =
    | { kind: "K" | "C" | "S"; name: string; op: "=" | "!" | "?" | "!off" | "~" | ">=" | "<="; value: string }
    | { kind: "V"; version: number[] };
export type Cond = Atom | { any: Cond[] } | { all: Cond[] } | { not: Cond };

const ATOM = /^(?:([KCS]):([A-Za-z0-9_.-]+)(!off|>=|<=|=|!|\?|~)([^\s()&|]*)|V>=(\d+(?:\.\d+)*))/;
const parsed = new Map<string, Cond>();

export function parseCond(text: string): Cond {
    const hit = parsed.get(text);
    if (hit) return hit;
    let pos = 0;
    const ws = () => {
        while (text[pos] === " ") pos++;
    };
    const fail = (what: string): never => {
        throw new Error(`rule condition ${JSON.stringify(text)}: ${what} at ${pos}`);
    };
    const primary = (): Cond => {
        ws();
        if (text[pos] === "-") {
            pos++;
            return { not: primary() };
        }
        if (text[pos] === "(") {
            pos++;
            const e = or();
            ws();
            if (text[pos++] !== ")") fail("missing )");
            return e;
        }
        const m = ATOM.exec(text.slice(pos));
        if (!m) return fail("expected a condition");
        pos += m[0].length;
        if (m[5]) return { kind: "V", version: m[5].split(".").map(Number) };
        const op = m[3] as Exclude<Atom, { kind: "V" }>["op"];
        if ((op === "=" || op === "~" || op === ">=" || op === "<=") && !m[4]) fail("missing value");
        return { kind: m[1] as "K" | "C" | "S", name: m[2], op, value: m[4] };
    };
    // `a & b & c` or `a | b | c`: one operand alone stands for itself.
    const chain = (op: "&" | "|", operand: () => Cond, join: (xs: Cond[]) => Cond) => (): Cond => {
        const xs = [operand()];
        for (ws(); text[pos] === op; ws()) {
            pos++;
            xs.push(operand());
        }
        return xs.length === 1 ? xs[0] : join(xs);
    };
    const and = chain("&", primary, (all) => ({ all }));
    const or = chain("|", and, (any) => ({ any }));
    const c = or();
    ws();
    if (pos !== text.length) fail("unexpected text");
    parsed.set(text, c);
    return c;
}

export function atoms(c: Cond): Atom[] {
    if ("any" in c) return c.any.flatMap(atoms);
    if ("all" in c) return c.all.flatMap(atoms);
    if ("not" in c) return atoms(c.not);
    return [c];
}

// ---------------------------------------------------------------------------------------------
// Facts behind each kind of atom

/** CONFIG_<name> as written ("n" for "is not set"), undefined when absent, null without a kconfig. */
export function kconfigValue(c: Ctx, name: string): string | undefined | null {
    return c.f.kconfig === null ? null : c.f.kconfig.get(`CONFIG_${name}`);
}

/** The parameter's value (true when given bare), undefined when absent, null when the line is unknown. */
export function param(c: Ctx, name: string): CmdValue | undefined | null {
    return c.cmd === null ? null : c.cmd.get(name);
}

/** The live sysctl value; null when the host lacks it, undefined when it was not read. */
export function sysctl(c: Ctx, key: string): string | null | undefined {
    return c.f.sysctls[key];
}

/**
 * Parameters whose handlers read the value as a string (kernel: no kstrtobool), so "on" is not "1".
 * Every other parameter is a boolean or integer where 1/y/yes/t/true/on are the same.
 */
const STRING_PARAMS = new Set([
    "debugfs", "mitigations", "pti", "spectre_v2", "spectre_v2_user", "spectre_bhi", "spec_store_bypass_disable",
    "l1tf", "mds", "tsx_async_abort", "srbds", "mmio_stale_data", "retbleed", "rodata", "ssbd", "spec_rstack_overflow",
    "gather_data_sampling", "reg_file_data_sampling", "tsa", "indirect_target_selection", "vmscape", "slub_debug",
    "iommu", "vsyscall", "vdso32", "vdso", "cfi", "tsx", "lockdown", "intel_iommu", "amd_iommu", "efi",
    "hash_pointers", "ipv6.disable", "proc_mem.force_override",
]);

/**
 * Module parameters of type bool accept a bare name as true (param_set_bool with KERNEL_PARAM_OPS_FL_NOARG).
 * Others do not: page_alloc.shuffle has its own ops without that flag, so a bare word is rejected.
 */
const BARE_IS_TRUE = new Set(["module.sig_enforce"]);

function normParam(name: string, v: string): string {
    if (STRING_PARAMS.has(name)) return v;
    if (/^(1|on|y|yes|t|true)$/i.test(v)) return "1";
    if (/^(0|off|n|no|f|false)$/i.test(v)) return "0";
    return v;
}

/** The value a parameter has for comparison; a bare word is "" unless the kernel takes it as true. */
export function paramValue(name: string, v: CmdValue): string {
    if (v === true) return BARE_IS_TRUE.has(name) ? "1" : "";
    return normParam(name, v);
}

function num(s: string): number | null {
    return /^-?\d+$/.test(s.trim()) ? Number(s.trim()) : null;
}

function evalAtom(c: Ctx, a: Atom): Tri {
    if (a.kind === "V") return versionAtLeast(c.version, a.version);
    if (a.kind === "K") {
        const v = kconfigValue(c, a.name);
        if (v === null) return null;
        switch (a.op) {
            case "!": return v === undefined || v === "n";
            case "?": return v !== undefined;
            case "~": return v !== undefined && v.split(",").map((s) => s.trim()).includes(a.value);
            case "!off": return v !== undefined && v !== "n" && v !== "0";
            default: {
                const want = a.value === "MAX" ? kconfigValue(c, `${a.name}_MAX`) : a.value;
                if (want === undefined || v === undefined) return false;
                if (a.op === "=") return v === want;
                const [x, y] = [num(v), num(want ?? "")];
                return x !== null && y !== null && (a.op === ">=" ? x >= y : x <= y);
            }
        }
    }
    if (a.kind === "C") {
        const v = param(c, a.name);
        if (v === null) return null;
        switch (a.op) {
            case "!": return v === undefined;
            case "?": return v !== undefined;
            case "!off": return v !== undefined && !/^(off|0)$/.test(paramValue(a.name, v));
            case "~": return v !== undefined && v !== true && v.split(",").includes(a.value);
            default: return v !== undefined && paramValue(a.name, v) === normParam(a.name, a.value);
        }
    }
    const v = sysctl(c, a.name);
    if (v === undefined) return null;
    if (a.op === "!") return v === null;
    if (v === null) return false;
    const want = a.value === "MAX" ? kconfigValue(c, `ARCH_${a.name.split(".").pop()!.toUpperCase()}_MAX`) : a.value;
    if (want === null) return null;
    if (want === undefined) return false;
    const [x, y] = [num(v), num(want)];
    if (a.op === ">=" || a.op === "<=") return x !== null && y !== null && (a.op === ">=" ? x >= y : x <= y);
    return x !== null && y !== null ? x === y : v.trim() === want;
}

export function evalCond(c: Ctx, cond: Cond): Tri {
    if ("any" in cond) return anyOf(...cond.any.map((x) => evalCond(c, x)));
    if ("all" in cond) return allOf(...cond.all.map((x) => evalCond(c, x)));
    if ("not" in cond) return not(evalCond(c, cond.not));
    return evalAtom(c, cond);
}

// ---------------------------------------------------------------------------------------------
// Words for people: what a condition asks for, and what the host showed for it.

function atomText(a: Atom): string {
    if (a.kind === "V") return `kernel ${a.version.join(".")} or newer`;
    const n = a.kind === "K" ? `CONFIG_${a.name}` : a.name;
    switch (a.op) {
        case "!": return a.kind === "K" ? `${n} is not set` : `${n} absent`;
        case "?": return a.kind === "K" ? `${n} present` : `${n} given`;
        case "!off": return `${n} not off`;
        case "~": return `${n} contains ${a.value}`;
        case ">=": return `${n} >= ${a.value}`;
        case "<=": return `${n} <= ${a.value}`;
        default: return `${n}=${a.value}`;
    }
}

export function condText(c: Cond, top = true): string {
    if ("not" in c) return `not (${condText(c.not)})`;
    if ("any" in c || "all" in c) {
        const parts = ("any" in c ? c.any : c.all).map((x) => condText(x, false));
        const s = parts.join("any" in c ? " or " : " and ");
        return top ? s : `(${s})`;
    }
    return atomText(c);
}

export function showKconfig(c: Ctx, name: string): string | null {
    const v = kconfigValue(c, name);
    if (v === null) return null;
    return v === undefined ? `CONFIG_${name} not in the config` : v === "n" ? `CONFIG_${name} is not set` : `CONFIG_${name}=${v}`;
}

export function showParam(c: Ctx, name: string): string | null {
    const v = param(c, name);
    if (v === null) return null;
    return v === undefined ? `${name} not given` : v === true ? name : `${name}=${v}`;
}

export function showSysctl(c: Ctx, key: string): string | null {
    const v = sysctl(c, key);
    return v === undefined ? null : v === null ? `${key} absent` : `${key}=${v}`;
}

/** What the host showed for every fact a condition reads; null when none was known. */
export function observed(c: Ctx, cond: Cond): string | null {
    const seen = new Set<string>();
    for (const a of atoms(cond)) {
        const s = a.kind === "V" ? (c.version ? `kernel ${c.version.join(".")}` : null)
            : a.kind === "K" ? showKconfig(c, a.name) : a.kind === "C" ? showParam(c, a.name) : showSysctl(c, a.name);
        if (s !== null) seen.add(s);
    }
    return seen.size ? [...seen].join("; ") : null;
}

export const joinKnown = (...parts: (string | null)[]): string | null => {
    const known = parts.filter((p): p is string => p !== null);
    return known.length ? known.join("; ") : null;
};
