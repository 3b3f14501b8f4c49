// Property-based tests of input validation: every invalid input is refused at check naming the
// property; every accepted input is safe to hand to the host scripts as data.
import fc from "fast-check";
import { SysctlInputsSchema, normaliseKey, renderFile, parseConf } from "../../provider/resources/sysctl/model";
import { planApply } from "../../provider/resources/sysctl/plan";
import { encodeRecords, parseRecords, b64, unb64 } from "../../provider/host/records";
import { ConnectionSchema } from "../../provider/ssh/connection";
import { HardeningInputsSchema } from "../../provider/components/hardening/profiles";
import { zodFailures } from "../../provider/protocol/contract";
import { KernelPinInputsSchema } from "../../provider/resources/kernelpin/model";
import { BlocklistInputsSchema } from "../../provider/resources/modules/model";
import { LockdownInputsSchema } from "../../provider/resources/lockdown/model";

const NASTY = ["$(touch /tmp/pwned)", "`id`", "; reboot", "&& rm -rf /", "| sh", "\n", "\r", "\0", "\t", "'", '"', "\\", "../", "..", "/", " ", "*", "?", "~", "é", "😀", "\u202e", "%s", "-", "--", "#", "=", ":"];
const nastyString = fc.oneof(
    fc.string(),
    fc.fullUnicodeString(),
    fc.array(fc.constantFrom(...NASTY, "kernel", "net", "ipv4", "a", "1", "."), { maxLength: 12 }).map((a) => a.join("")),
    fc.string({ minLength: 5000, maxLength: 20000 }),
);
const validKey = fc.array(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), { minLength: 2, maxLength: 5 }).map((a) => a.join("."));

const RUNS = { numRuns: 2500 };
let cases = 0;

afterAll(() => {
    // The campaign's figure (README "Reliability"): at least 10 000 generated cases.
    expect(cases).toBeGreaterThanOrEqual(10_000);
});

test("sysctl keys: refused naming entries[key], or normalised to the strict grammar", () => {
    fc.assert(
        fc.property(nastyString, (k) => {
            cases++;
            const r = SysctlInputsSchema.safeParse({ connection: { host: "h" }, file: "a.conf", entries: { [k]: "1" } });
            if (!r.success) {
                const f = zodFailures(r.error.issues);
                return f.every((x) => x.property.startsWith("entries") && x.reason.startsWith(x.property));
            }
            const key = Object.keys(r.data.entries)[0];
            return /^[A-Za-z0-9_@:+\-/]+(\.[A-Za-z0-9_@:+\-/]+)+$/.test(key) && !normaliseKey(key)!.procPath.split("/").includes("..");
        }),
        RUNS,
    );
});

test("sysctl values: refused naming the key, or free of line breaks and exactly what lands in the file", () => {
    fc.assert(
        fc.property(validKey, nastyString, (k, v) => {
            cases++;
            const r = SysctlInputsSchema.safeParse({ connection: { host: "h" }, file: "a.conf", entries: { [k]: v } });
            if (!r.success) return zodFailures(r.error.issues).every((x) => x.property === `entries[${JSON.stringify(k)}]` || x.property === "entries" || x.property.startsWith(`entries[`));
            const value = r.data.entries[Object.keys(r.data.entries)[0]];
            if (/[\n\r\0]/.test(value)) return false;
            // What the file says is what was declared (whitespace folded), and the records carry it intact.
            const parsed = parseConf(renderFile(r.data)).get(Object.keys(r.data.entries)[0]);
            const plan = planApply(r.data, {});
            const recs = parseRecords(encodeRecords(plan.sets.map((s) => ["S", s.key, b64(s.value)])));
            return parsed?.value === value && unb64(recs[0][2]) === value;
        }),
        RUNS,
    );
});

test("file names: refused naming file, or a plain .conf basename", () => {
    fc.assert(
        fc.property(nastyString, (name) => {
            cases++;
            const r = SysctlInputsSchema.safeParse({ connection: { host: "h" }, file: name, entries: { "kernel.kptr_restrict": "2" } });
            if (!r.success) return zodFailures(r.error.issues).every((x) => x.property === "file");
            return /^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.conf$/.test(r.data.file) && !r.data.file.includes("/");
        }),
        RUNS,
    );
});

test("connection fields: refused naming the field, or safe as a host name and user name", () => {
    fc.assert(
        fc.property(nastyString, nastyString, fc.integer({ min: -5, max: 70000 }), (host, user, port) => {
            cases++;
            const r = ConnectionSchema.safeParse({ host, user, port });
            if (!r.success) return r.error.issues.every((i) => ["host", "user", "port"].includes(String(i.path[0])));
            return /^[A-Za-z0-9.:\-_[\]%]+$/.test(r.data.host) && /^[a-z_][a-z0-9_.-]*\$?$/i.test(r.data.user) && r.data.port >= 1 && r.data.port <= 65535;
        }),
        RUNS,
    );
});

test("component modes and lists: refused naming the property", () => {
    fc.assert(
        fc.property(nastyString, nastyString, (mode, module) => {
            cases++;
            const r = HardeningInputsSchema.safeParse({ connection: { host: "h" }, profile: mode, lockdownMode: mode, exclude: [module] });
            if (r.success) return ["baseline", "strict"].includes(r.data.profile) && ["integrity", "confidentiality"].includes(r.data.lockdownMode);
            return r.error.issues.every((i) => ["profile", "lockdownMode", "exclude"].includes(String(i.path[0])));
        }),
        { numRuns: 500 },
    );
});

test("package names and versions: refused naming packages[i] or version, or safe as apt arguments", () => {
    const nastyPackage = fc.oneof(nastyString, fc.array(fc.constantFrom(...NASTY, "linux", "image", "-", "+", ".", "6", "a"), { maxLength: 10 }).map((a) => a.join("")));
    fc.assert(
        fc.property(fc.array(nastyPackage, { maxLength: 4 }), nastyString, (packages, version) => {
            cases++;
            const r = KernelPinInputsSchema.safeParse({ connection: { host: "h" }, packages, version });
            if (!r.success) {
                return zodFailures(r.error.issues).every((f) => /^packages(\[\d+\])?$|^version$/.test(f.property) && f.reason.startsWith(f.property));
            }
            // Never an option to apt-mark or apt-cache (no leading -), never a path, never whitespace or shell syntax.
            return (r.data.packages ?? []).every((p) => /^[a-z0-9][a-z0-9+.-]+$/.test(p)) && /^(\d+:)?[A-Za-z0-9][A-Za-z0-9.+~:-]*$/.test(r.data.version ?? "0");
        }),
        RUNS,
    );
});

test("module names, blocklist file names and lockdown modes: refused naming the property, or plain names", () => {
    fc.assert(
        fc.property(nastyString, nastyString, nastyString, (module, file, mode) => {
            cases++;
            const b = BlocklistInputsSchema.safeParse({ connection: { host: "h" }, modules: [module], file });
            const okBlocklist = b.success
                ? b.data.modules.every((m) => /^[A-Za-z0-9_]{1,64}$/.test(m)) && /^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.conf$/.test(b.data.file)
                : zodFailures(b.error.issues).every((f) => /^modules(\[\d+\])?$|^file$/.test(f.property));
            const l = LockdownInputsSchema.safeParse({ connection: { host: "h" }, mode });
            const okLockdown = l.success ? ["integrity", "confidentiality"].includes(l.data.mode) : zodFailures(l.error.issues).every((f) => f.property === "mode" && /must be "integrity" or "confidentiality"/.test(f.reason));
            return okBlocklist && okLockdown;
        }),
        { numRuns: 1500 },
    );
});
