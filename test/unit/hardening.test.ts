import { HardeningInputsSchema, resolveProfile, candidateKeys, BASELINE } from "../../provider/components/hardening/profiles";

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
});
