import { HardeningInputsSchema, resolveProfile, candidateKeys, BASELINE, STRICT_EXTRA } from "../../provider/components/hardening/profiles";
import { SYSCTL_RULES } from "../../provider/audit/rules/sysctl";
import { HardeningBootObject } from "../../provider/resources/kernelcmdline/profile";

const parse = (x: Record<string, unknown>) => HardeningInputsSchema.parse({ connection: { host: "h" }, ...x });

describe("KernelHardening profiles", () => {
    test("baseline without opt-in leaves out the one-way settings and says so", () => {
        const r = resolveProfile(parse({}), null);
        expect(r.entries).toEqual({ "kernel.dmesg_restrict": "1", "kernel.kptr_restrict": "2" });
        expect(r.skippedOneWay).toEqual(["kernel.kexec_load_disabled=1", "lockdown=integrity"]);
        expect(r.lockdown).toBe(false);
        expect(r.oneWayApplied).toEqual([]);
    });

    test("baseline with opt-in applies them and lists them as one-way", () => {
        const r = resolveProfile(parse({ allowOneWay: true, lockdownMode: "confidentiality" }), null);
        expect(r.entries).toEqual({ ...BASELINE });
        expect(r.oneWayApplied).toEqual(["kernel.kexec_load_disabled=1", "lockdown=confidentiality"]);
        expect(r.lockdown).toBe(true);
    });

    test("strict falls back to ptrace_scope 2 without opt-in and 3 with it", () => {
        expect(resolveProfile(parse({ profile: "strict" }), null).entries["kernel.yama.ptrace_scope"]).toBe("2");
        expect(resolveProfile(parse({ profile: "strict", allowOneWay: true }), null).entries["kernel.yama.ptrace_scope"]).toBe("3");
    });

    test("overrides, exclusions and keys the kernel lacks", () => {
        const inp = parse({ profile: "strict", overrides: { "vm/swappiness": 10 }, exclude: ["kernel.sysrq"] });
        const supported = new Set(candidateKeys(inp).filter((k) => k !== "kernel.io_uring_disabled"));
        const r = resolveProfile(inp, supported);
        expect(r.entries["vm.swappiness"]).toBe("10");
        expect(r.entries["kernel.sysrq"]).toBeUndefined();
        expect(r.unsupportedKeys).toEqual(["kernel.io_uring_disabled"]);
        expect(candidateKeys(inp)).toContain("vm.swappiness");
    });

    test("bad keys in overrides or exclude are refused naming the property", () => {
        const r = HardeningInputsSchema.safeParse({ connection: { host: "h" }, overrides: { "no key": "1" }, exclude: ["$(x)"] });
        expect(r.success).toBe(false);
        expect(r.error!.issues.map((i) => i.path.join("."))).toEqual(["overrides.no key", "exclude.$(x)"]);
        expect(HardeningInputsSchema.safeParse({ connection: { host: "h" }, profile: "paranoid" }).error!.issues[0].path).toEqual(["profile"]);
    });

    test("profile values come from the audit's rule table, and the audit passes what the profile sets", () => {
        expect(BASELINE).toEqual({ "kernel.kptr_restrict": "2", "kernel.dmesg_restrict": "1", "kernel.kexec_load_disabled": "1" });
        expect(STRICT_EXTRA["kernel.unprivileged_bpf_disabled"]).toBe("2");
        for (const [k, v] of Object.entries({ ...BASELINE, ...STRICT_EXTRA })) {
            expect(SYSCTL_RULES.find((r) => r.key === k)?.profile).toBeDefined();
            expect(v).toMatch(/^\d+$/);
        }
    });

    test("never lowers a value the host already has stricter, unless asked for exact values", () => {
        const inp = parse({ profile: "strict" });
        const current = { "kernel.yama.ptrace_scope": "3", "kernel.perf_event_paranoid": "4", "kernel.kptr_restrict": "1", "fs.suid_dumpable": "2" };
        const r = resolveProfile(inp, null, current);
        // Already locked one way (3) and no opt-in: left out, the kernel holds it until reboot.
        expect(r.entries["kernel.yama.ptrace_scope"]).toBeUndefined();
        // Kept at the host's stricter value, not dropped (a dropped key would be restored to its older value).
        expect(r.entries["kernel.perf_event_paranoid"]).toBe("4");
        expect(r.entries["kernel.kptr_restrict"]).toBe("2");
        expect(r.entries["fs.suid_dumpable"]).toBe("0");
        expect([...r.leftAlone].sort()).toEqual([
            "kernel.perf_event_paranoid=4 (stricter than the profile's 3; exact: true sets it)",
            "kernel.yama.ptrace_scope=3 (stricter than the profile's 2; exact: true sets it)",
        ]);
        const exact = resolveProfile(parse({ profile: "strict", exact: true }), null, current);
        expect(exact.entries["kernel.yama.ptrace_scope"]).toBe("2");
        expect(exact.leftAlone).toEqual([]);
        const overridden = resolveProfile(parse({ profile: "strict", overrides: { "kernel.yama.ptrace_scope": 1 } }), null, current);
        expect(overridden.entries["kernel.yama.ptrace_scope"]).toBe("1");
    });
});

describe("KernelHardening's Construct inputs", () => {
    // Loaded here only: the component module pulls in @pulumi/pulumi's runtime.
    const { plainInputs } = require("../../provider/components/hardening/component") as typeof import("../../provider/components/hardening/component");

    test("every input of the schema reaches the component, rebootTimeoutSeconds among them", async () => {
        const shape = await plainInputs({ profile: "strict", reboot: "ifRequired", rebootTimeoutSeconds: 1500, connection: { host: "h" } });
        expect(shape.data).toMatchObject({ profile: "strict", reboot: "ifRequired", rebootTimeoutSeconds: 1500 });
        // Every property of the schema is read from the engine's inputs (not a list kept by hand).
        const read = new Set<string | symbol>();
        await plainInputs(new Proxy({}, { get: (_, k) => void read.add(k) }));
        expect(Object.keys(HardeningBootObject.shape).filter((k) => !read.has(k))).toEqual(["connection"]);
        expect((await plainInputs({})).data.rebootTimeoutSeconds).toBe(600);
    });

    test("a bad input is an error naming the property", async () => {
        await expect(plainInputs({ rebootTimeoutSeconds: 5 })).rejects.toThrow(/rebootTimeoutSeconds/);
    });
});
