// Hand-made edge variants for every rule in the tables, derived from each rule's condition: for each
// option the rule reads, a host where that option decides the verdict (the rule's other options held
// so that only it matters), with the option absent, "is not set", =m, =y or its value; a dependency
// switched off; the kernel just before and at a version bound. Sysctl and runtime rules get their
// own variants (thresholds, a missing key, a feature not built, kernels before the switch existed).
//
// Three checks: every verdict an independent table of option semantics can predict is the one the
// audit gives; every option a rule reads can change its verdict (no dead alternative); and the whole
// table equals test/fixtures/audit/edge-verdicts.json, reviewed and kept in the repository, so any
// change to a rule's meaning shows up as a diff (KH_WRITE_EDGE_VERDICTS=1 rewrites it).
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { audit, CMDLINE_RULES, KCONFIG_RULES } from "../../provider/audit/audit";
import { Arch, Atom, Cond, parseCond } from "../../provider/audit/engine";
import { emptyFacts, HostFacts } from "../../provider/audit/facts";
import { RUNTIME_RULES } from "../../provider/audit/rules/runtime";
import { SYSCTL_RULES, SysctlRule } from "../../provider/audit/rules/sysctl";
import { Rule, Status } from "../../provider/audit/rules/types";

const FIXTURE = join(__dirname, "../fixtures/audit/edge-verdicts.json");
const DEFAULT_VERSION = [6, 12, 0];
const RND_MAX = "32";

/** What a variant host looks like: options by name (absent: not a key), parameters, version. */
interface Host {
    k: Map<string, string>;
    c: Map<string, string | true>;
    v: number[];
}
type KAtom = Extract<Atom, { kind: "K" | "C" | "S" }>;

const clone = (h: Host): Host => ({ k: new Map(h.k), c: new Map(h.c), v: [...h.v] });
const below = (v: number[]): number[] => {
    const out = [...v, 0, 0].slice(0, 3);
    for (let i = 2; i >= 0; i--) {
        if (out[i] > 0) {
            out[i]--;
            for (let j = i + 1; j < 3; j++) out[j] = 999;
            return out;
        }
    }
    throw new Error(`no version below ${v.join(".")}`);
};

/** An option's value that makes the atom true (or false). */
function setAtom(h: Host, a: Atom, want: boolean): void {
    if (a.kind === "V") {
        h.v = want ? [...a.version, 0, 0].slice(0, 3) : below(a.version);
        return;
    }
    if (a.kind === "S") throw new Error("no sysctl atoms in kconfig or cmdline rules");
    const map = a.kind === "K" ? h.k : h.c;
    const bare = a.kind === "K" ? "y" : true;
    let value: string | true | undefined;
    switch (a.op) {
        case "!":
            value = want ? undefined : bare;
            break;
        case "?":
            value = want ? (a.kind === "K" ? "n" : true) : undefined;
            break;
        case "!off":
            value = want ? (a.kind === "K" ? "y" : "1") : undefined;
            break;
        default:
            if (a.value === "MAX") h.k.set(`${a.name}_MAX`, RND_MAX);
            value = want ? (a.value === "MAX" ? RND_MAX : a.value) : undefined;
    }
    if (value === undefined) map.delete(a.name);
    else map.set(a.name, value as string);
}

/** Makes a condition true or false (the first alternative that can, every part of a conjunction). */
function make(h: Host, c: Cond, want: boolean): void {
    if ("not" in c) return make(h, c.not, !want);
    if ("any" in c) {
        if (want) make(h, c.any[0], true);
        else for (const x of c.any) make(h, x, false);
        return;
    }
    if ("all" in c) {
        if (want) for (const x of c.all) make(h, x, true);
        else make(h, c.all[0], false);
        return;
    }
    setAtom(h, c, want);
}

/** Every atom with the host in which only it decides: siblings of an "and" true, of an "or" false. */
function decisive(c: Cond): { atom: Atom; host: Host }[] {
    const out: { atom: Atom; host: Host }[] = [];
    const walk = (node: Cond, ctx: (h: Host) => void) => {
        if ("not" in node) return walk(node.not, ctx);
        if ("any" in node || "all" in node) {
            const kids = "any" in node ? node.any : node.all;
            kids.forEach((kid, i) =>
                walk(kid, (h) => {
                    ctx(h);
                    kids.forEach((sib, j) => j !== i && make(h, sib, "all" in node));
                }),
            );
            return;
        }
        const h: Host = { k: new Map(), c: new Map(), v: [...DEFAULT_VERSION] };
        ctx(h);
        out.push({ atom: node, host: h });
    };
    walk(c, () => undefined);
    return out;
}

/** The edge values of one option: what a host may have for it. undefined: absent. */
function edgeValues(a: Atom): { label: string; value: string | true | undefined | number[] }[] {
    if (a.kind === "V")
        return [
            { label: `kernel ${below(a.version).join(".")}`, value: below(a.version) },
            { label: `kernel ${[...a.version, 0, 0].slice(0, 3).join(".")}`, value: [...a.version, 0, 0].slice(0, 3) },
        ];
    const n = a.kind === "K" ? `CONFIG_${a.name}` : a.name;
    const absent = { label: `${n} absent`, value: undefined };
    if (a.kind === "K") {
        const kv = (v: string) => ({ label: v === "n" ? `${n} is not set` : `${n}=${v}`, value: v });
        if (a.op === "~") return [kv(a.value), kv(`capability,${a.value},bpf`), kv("capability,bpf"), absent];
        if (a.op === "=" && a.value === "MAX") return [kv(RND_MAX), kv("28"), absent];
        if (a.op === "=" && a.value !== "y") return [kv(a.value), kv(a.value === "0" ? "1" : "0"), kv("n"), absent];
        return [kv("y"), kv("m"), kv("n"), absent];
    }
    const cv = (v: string | true) => ({ label: v === true ? `${n} (bare)` : `${n}=${v}`, value: v });
    switch (a.op) {
        case "!":
        case "?":
            return [absent, cv(true), cv("1"), cv("off")];
        case "!off":
            return [cv("1"), cv("off"), cv("0"), cv(true), absent];
        case "~":
            return [cv(a.value), cv(`auto,${a.value}`), cv("other"), cv(true), absent];
        default: {
            const other = /^(1|on)$/.test(a.value) ? ["on", "0", "off"] : a.value === "0" ? ["off", "1"] : ["off"];
            return [cv(a.value), ...other.map(cv), cv(true), absent];
        }
    }
}

function atomKey(a: Atom): string {
    return a.kind === "V" ? `V>=${a.version.join(".")}` : `${a.kind}:${a.name}${a.op}${a.value}`;
}

function toFacts(h: Host, arch: Arch): HostFacts {
    const f = emptyFacts();
    f.arch = arch;
    f.kernelRelease = h.v.join(".");
    f.kconfig = new Map([...h.k].map(([k, v]) => [`CONFIG_${k}`, v]));
    f.cmdline = ["ro", ...[...h.c].map(([k, v]) => (v === true ? k : `${k}=${v}`))].join(" ");
    return f;
}

const archOf = (r: { arch?: Arch[] }): Arch => r.arch?.[0] ?? "x86_64";
const verdict = (f: HostFacts, id: string): Status => {
    const x = audit(f).find((y) => y.id === id);
    if (!x) throw new Error(`no finding ${id} on ${f.arch}`);
    return x.status;
};

// ---------------------------------------------------------------------------------------------
// An independent statement of what each kind of condition means for the values above: the engine
// must agree with it wherever it speaks (null: not predicted here, e.g. how a parameter's words
// normalise). Three-valued only through an unknown version, which these hosts never have.

function predictAtom(a: Atom, h: Host): boolean | null {
    if (a.kind === "V") {
        for (let i = 0; i < 3; i++)
            if ((h.v[i] ?? 0) !== (a.version[i] ?? 0)) return (h.v[i] ?? 0) > (a.version[i] ?? 0);
        return true;
    }
    if (a.kind === "K") {
        const v = h.k.get(a.name);
        if (a.op === "!") return v === undefined || v === "n"; // =m is built (as a module): not "not set"
        if (a.op === "?") return v !== undefined;
        if (a.op === "~") return v !== undefined && v.split(",").includes(a.value);
        if (a.op === "!off") return v !== undefined && v !== "n";
        if (a.op === "=") return v !== undefined && v === (a.value === "MAX" ? h.k.get(`${a.name}_MAX`) : a.value);
        return null;
    }
    const v = h.c.get(a.name);
    if (a.op === "!") return v === undefined;
    if (a.op === "?") return v !== undefined;
    if (v === undefined) return false;
    if (v === a.value) return a.op === "=" || a.op === "~" || (a.op === "!off" && !/^(0|off)$/.test(v));
    if (a.op === "=" && v === "other") return false;
    return null; // bare words, on/off spellings: the kernel's per-parameter rules
}

function predict(c: Cond, h: Host): boolean | null {
    if ("not" in c) {
        const x = predict(c.not, h);
        return x === null ? null : !x;
    }
    if ("any" in c || "all" in c) {
        const xs = ("any" in c ? c.any : c.all).map((x) => predict(x, h));
        if ("any" in c) return xs.includes(true) ? true : xs.includes(null) ? null : false;
        return xs.includes(false) ? false : xs.includes(null) ? null : true;
    }
    return predictAtom(c, h);
}

// ---------------------------------------------------------------------------------------------
// The table: rule id -> variant -> verdict.

type Table = Record<string, Record<string, Status>>;
const table: Table = {};
const mismatches: string[] = [];
const dead: string[] = [];

function conditionRule(r: Rule): void {
    const cond = parseCond(r.test);
    const rows: Record<string, Status> = {};
    const seen = new Map<string, number>();
    for (const { atom, host } of decisive(cond)) {
        const key0 = atomKey(atom);
        const nth = (seen.get(key0) ?? 0) + 1;
        seen.set(key0, nth);
        const key = nth > 1 ? `${key0} #${nth}` : key0;
        const verdicts = new Set<Status>();
        for (const { label, value } of edgeValues(atom)) {
            const h = clone(host);
            if (atom.kind === "K" && atom.value === "MAX") h.k.set(`${atom.name}_MAX`, RND_MAX);
            if (atom.kind === "V") h.v = value as number[];
            else {
                const map = atom.kind === "K" ? h.k : h.c;
                if (value === undefined) map.delete(atom.name);
                else map.set(atom.name, value as string);
            }
            const got = verdict(toFacts(h, archOf(r)), r.id!);
            const want = predict(cond, h);
            const expected = want === null ? null : want ? "pass" : "fail";
            if (expected !== null && got !== expected)
                mismatches.push(`${r.id} [${key}] ${label}: ${got}, expected ${expected}`);
            rows[`${key} | ${label}`] = got;
            verdicts.add(got);
        }
        if (verdicts.size < 2) dead.push(`${r.id} [${key}]`);
    }
    // No kconfig at all (a host without /boot/config or /proc/config.gz) and no command line.
    const none = emptyFacts();
    none.arch = archOf(r);
    none.kernelRelease = DEFAULT_VERSION.join(".");
    rows["no kconfig, no command line"] = verdict(none, r.id!);
    table[r.id!] = rows;
}

const sysctlId = (r: SysctlRule) => `sysctl.${r.key}${r.arch ? `@${r.arch.join(",")}` : ""}`;

function sysctlRule(r: SysctlRule): void {
    const rows: Record<string, Status> = {};
    const arch = archOf(r);
    const id = `sysctl.${r.key}`;
    const max = r.value === "MAX";
    const want = max ? Number(RND_MAX) : Number(r.value);
    const base = (): HostFacts => {
        const f = emptyFacts();
        f.arch = arch;
        f.kernelRelease = DEFAULT_VERSION.join(".");
        f.cmdline = "ro";
        f.kconfig = new Map([["CONFIG_MODULES", "y"]]);
        if (r.needs) f.kconfig.set(`CONFIG_${r.needs}`, "y");
        if (max) f.kconfig.set(`CONFIG_ARCH_${r.key.split(".").pop()!.toUpperCase()}_MAX`, RND_MAX);
        if (r.also) f.kconfig.set("CONFIG_COMPAT", "y");
        if (r.orElse) for (const a of atomsOf(r.orElse)) if (a.kind === "K") f.kconfig.set(`CONFIG_${a.name}`, "y");
        // An alternative on another key starts off false (not one that is the key's own absence).
        for (const a of r.orElse ? atomsOf(r.orElse) : [])
            if (a.kind === "S" && a.name !== r.key) f.sysctls[a.name] = "1";
        return f;
    };
    const at = (label: string, value: string | null | undefined, tweak?: (f: HostFacts) => void) => {
        const f = base();
        if (value !== undefined) f.sysctls[r.key] = value;
        tweak?.(f);
        rows[label] = verdict(f, id);
    };
    const values = new Set([String(want), String(want + 1), String(Math.max(0, want - 1)), ...(r.oneOf ?? [])]);
    if (r.direction === "atMost") values.add(String(want + 15000));
    for (const v of [...values].sort()) at(`value ${v}`, v);
    at("value banana", "banana");
    at("key absent", null);
    at("key not read", undefined);
    if (r.needs) {
        const off = (f: HostFacts) => f.kconfig!.set(`CONFIG_${r.needs}`, "n");
        const gone = (f: HostFacts) => f.kconfig!.delete(`CONFIG_${r.needs}`);
        const bad = String(want === 0 ? 1 : 0);
        at(`CONFIG_${r.needs} is not set, key absent`, null, off);
        at(`CONFIG_${r.needs} is not set, key not read`, undefined, off);
        at(`CONFIG_${r.needs} is not set, value ${bad}`, bad, off);
        at(`CONFIG_${r.needs} absent, key absent`, null, gone);
        at(`CONFIG_${r.needs} absent, value ${bad}`, bad, gone);
    }
    if (r.since) {
        const old = below([...r.since, 0]).join(".");
        const now = [...r.since, 0].join(".");
        at(`kernel ${old}, key absent`, null, (f) => (f.kernelRelease = old));
        at(`kernel ${now}, key absent`, null, (f) => (f.kernelRelease = now));
        const f = base();
        f.kernelRelease = old;
        f.sysctls[r.key] = null;
        const fix = audit(f).find((x) => x.id === id)!.fix;
        rows[`kernel ${old}, key absent: fix names a newer kernel`] = fix.startsWith(
            `needs kernel ${r.since.join(".")}`,
        )
            ? "pass"
            : "fail";
    }
    if (r.orElse) {
        const bad = String(want === 0 ? 1 : 0);
        for (const a of atomsOf(r.orElse).filter((x) => x.name !== r.key)) {
            const flip = (f: HostFacts, on: boolean) => {
                if (a.kind === "K") f.kconfig!.set(`CONFIG_${a.name}`, on ? "n" : "y");
                else if (a.kind === "C") f.cmdline = on ? `ro ${a.name}=${a.value}` : "ro";
                else if (a.kind === "S") f.sysctls[a.name] = on ? (a.op === "!" ? null : a.value) : "1";
            };
            at(`${r.orElse} holds, value ${bad}`, bad, (f) => flip(f, true));
            at(`${r.orElse} does not hold, value ${bad}`, bad, (f) => flip(f, false));
        }
    }
    if (r.also) {
        at(`value ${want}, ${r.also} holds`, String(want), (f) => f.kconfig!.set("CONFIG_COMPAT", "n"));
        at(`value ${want}, ${r.also} does not hold`, String(want), (f) => f.kconfig!.set("CONFIG_COMPAT", "y"));
    }
    if (max) {
        at(`value ${RND_MAX}, no CONFIG_..._MAX in the kconfig`, RND_MAX, (f) => (f.kconfig = new Map()));
        at(`value ${RND_MAX}, no kconfig at all`, RND_MAX, (f) => (f.kconfig = null));
    }
    table[sysctlId(r)] = rows;
}

function atomsOf(text: string): KAtom[] {
    const out: KAtom[] = [];
    const walk = (c: Cond) => {
        if ("not" in c) walk(c.not);
        else if ("any" in c) c.any.forEach(walk);
        else if ("all" in c) c.all.forEach(walk);
        else if (c.kind !== "V") out.push(c);
    };
    walk(parseCond(text));
    return out;
}

function runtimeRules(): void {
    const f = (over: Partial<HostFacts>): HostFacts => ({
        ...emptyFacts(),
        arch: "x86_64",
        kernelRelease: "6.12.0",
        kconfig: new Map([["CONFIG_MODULES", "y"]]),
        ...over,
    });
    const ld = (current: string) =>
        ({ current, available: ["none", "integrity", "confidentiality"] }) as HostFacts["lockdown"];
    const rows = (id: string, cases: [string, Partial<HostFacts>][]) => {
        table[id] = Object.fromEntries(cases.map(([label, over]) => [label, verdict(f(over), id)]));
    };
    rows("runtime.lockdown", [
        ["lockdown none", { lockdown: ld("none") }],
        ["lockdown integrity", { lockdown: ld("integrity") }],
        ["lockdown confidentiality", { lockdown: ld("confidentiality") }],
        ["no lockdown file, LSM not active", { lsms: ["capability", "apparmor"] }],
        ["no lockdown file, lockdown LSM listed", { lsms: ["capability", "lockdown"] }],
        ["nothing known", {}],
    ]);
    rows("runtime.module_sig_enforce", [
        ["sig_enforce Y, lockdown none", { sigEnforce: true, lockdown: ld("none") }],
        ["sig_enforce N, lockdown none", { sigEnforce: false, lockdown: ld("none") }],
        ["sig_enforce N, lockdown integrity", { sigEnforce: false, lockdown: ld("integrity") }],
        ["sig_enforce N, lockdown unknown", { sigEnforce: false }],
        ["sig_enforce unknown, lockdown none", { lockdown: ld("none") }],
        [
            "sig_enforce unknown, lockdown none, CONFIG_MODULES is not set",
            { lockdown: ld("none"), kconfig: new Map([["CONFIG_MODULES", "n"]]) },
        ],
        ["sig_enforce unknown, lockdown none, CONFIG_MODULES absent", { lockdown: ld("none"), kconfig: new Map() }],
        ["nothing known", { kconfig: null }],
    ]);
    rows("runtime.taint.unsigned_module", [
        ["tainted 0", { tainted: 0 }],
        ["tainted 8192 (E)", { tainted: 8192 }],
        ["tainted 12288 (O and E)", { tainted: 12288 }],
        ["tainted 4096 (O only)", { tainted: 4096 }],
        ["taint unknown", {}],
    ]);
}

for (const r of [...KCONFIG_RULES, ...CMDLINE_RULES]) conditionRule(r);
for (const r of SYSCTL_RULES) sysctlRule(r);
runtimeRules();

// ---------------------------------------------------------------------------------------------

describe("edge variants of every rule", () => {
    it("covers every check on both architectures", () => {
        const ids = (arch: string) => {
            const f = emptyFacts();
            f.arch = arch;
            return audit(f).map((x) => x.id);
        };
        const covered = new Set(Object.keys(table).map((k) => k.replace(/@.*/, "")));
        for (const id of [...ids("x86_64"), ...ids("aarch64")]) expect([id, covered.has(id)]).toEqual([id, true]);
        expect(RUNTIME_RULES.every((r) => table[r.id])).toBe(true);
    });

    it("derives absent, =m, not set, dependency off and before/after versions wherever a rule reads them", () => {
        const rows = Object.entries(table).flatMap(([id, vs]) => Object.keys(vs).map((v) => `${id} ${v}`));
        const has = (re: RegExp) => rows.filter((r) => re.test(r)).length;
        // Every kconfig rule has its options absent; "=y" and "not set" options also =m and "is not set".
        for (const r of KCONFIG_RULES)
            expect([r.id, Object.keys(table[r.id!]).some((v) => / absent$/.test(v))]).toEqual([r.id, true]);
        expect(has(/=m$/)).toBeGreaterThan(300);
        expect(has(/ is not set$/)).toBeGreaterThan(300);
        // Version bounds: each one just before and at the bound.
        for (const r of [...KCONFIG_RULES, ...CMDLINE_RULES].filter((x) => /V>=/.test(x.test))) {
            const v = Object.keys(table[r.id!]).filter((x) => x.startsWith("V>="));
            expect([r.id, v.length >= 2]).toEqual([r.id, true]);
        }
        for (const r of SYSCTL_RULES.filter((x) => x.since))
            expect(Object.keys(table[sysctlId(r)]).filter((v) => /^kernel /.test(v)).length).toBe(3);
    });

    it("agrees with the meaning of each option's values wherever that meaning is plain", () => {
        expect(mismatches).toEqual([]);
    });

    it("passes each sysctl at its recommended value and fails looser or unreadable values, whatever the table says", () => {
        for (const r of SYSCTL_RULES) {
            const rows = table[sysctlId(r)];
            const want = r.value === "MAX" ? Number(RND_MAX) : Number(r.value);
            const looser = r.direction === "atLeast" ? want - 1 : r.direction === "atMost" ? want + 1 : null;
            const got = (v: string) => [sysctlId(r), v, rows[v]];
            // `also` holds only in its own rows (the base host has COMPAT, which 65536 on arm64 needs off).
            expect(got(`value ${want}`)).toEqual([sysctlId(r), `value ${want}`, r.also ? "fail" : "pass"]);
            if (looser !== null && looser >= 0)
                expect(got(`value ${looser}`)).toEqual([sysctlId(r), `value ${looser}`, "fail"]);
            for (const v of r.oneOf ?? []) expect(got(`value ${v}`)).toEqual([sysctlId(r), `value ${v}`, "pass"]);
            expect(got("value banana")).toEqual([sysctlId(r), "value banana", "fail"]);
            expect(got("key not read")).toEqual([sysctlId(r), "key not read", "unknown"]);
            if (r.needs) {
                for (const v of Object.keys(rows).filter((x) => x.startsWith(`CONFIG_${r.needs} is not set`))) {
                    expect(got(v)).toEqual([sysctlId(r), v, "pass"]);
                }
            }
            if (r.since) {
                const v = Object.keys(rows).find((x) => x.endsWith("fix names a newer kernel"))!;
                expect(got(v)).toEqual([sysctlId(r), v, "pass"]);
            }
        }
    });

    it("has no option that cannot change its rule's verdict", () => {
        expect(dead).toEqual([]);
    });

    it("gives the verdicts kept in test/fixtures/audit/edge-verdicts.json", () => {
        if (process.env.KH_WRITE_EDGE_VERDICTS === "1") writeFileSync(FIXTURE, JSON.stringify(table, null, 1) + "\n");
        const kept = JSON.parse(readFileSync(FIXTURE, "utf8")) as Table;
        // One line per difference, so a changed rule reads as "id variant: kept -> now".
        const diff: string[] = [];
        for (const id of new Set([...Object.keys(kept), ...Object.keys(table)])) {
            for (const v of new Set([...Object.keys(kept[id] ?? {}), ...Object.keys(table[id] ?? {})])) {
                const [a, b] = [kept[id]?.[v], table[id]?.[v]];
                if (a !== b) diff.push(`${id} | ${v}: ${a ?? "(none)"} -> ${b ?? "(none)"}`);
            }
        }
        expect(diff).toEqual([]);
    });
});
