import { kernelCanonical, kernelInteger, locksOneWay, normaliseKey, normaliseValue, parseConf, renderFile, sameValue, SysctlInputsSchema } from "../../provider/resources/sysctl/model";
import { bootOrder, findOverrides } from "../../provider/resources/sysctl/precedence";
import { diffSysctl, nextPreviousValues, planApply, planDelete, stateFromObservation, unverified } from "../../provider/resources/sysctl/plan";
import { cleanShellError } from "../../provider/resources/sysctl/host";
import { ObservedSysctl } from "../../provider/resources/sysctl/model";
import { zodFailures } from "../../provider/protocol/contract";

const conn = { host: "10.0.0.1" };

function observed(p: Partial<ObservedSysctl>): ObservedSysctl {
    return { file: null, live: {}, confFiles: [], before: {}, prev: {}, ...p };
}

describe("keys and values", () => {
    test.each([
        ["kernel.kptr_restrict", "kernel.kptr_restrict", "kernel/kptr_restrict"],
        ["kernel/kptr_restrict", "kernel.kptr_restrict", "kernel/kptr_restrict"],
        ["net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter"],
        ["net.ipv4.conf.eth0/100.rp_filter", "net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter"],
        [" vm.swappiness ", "vm.swappiness", "vm/swappiness"],
    ])("%s normalises to %s", (raw, key, path) => {
        expect(normaliseKey(raw)).toEqual({ key, procPath: path });
    });

    test.each(["", "kernel", ".kernel", "kernel..x", "kernel.$(reboot)", "kernel/../../etc/passwd", "a b.c", "kernel.x;y", "net.*.rp_filter"])("%j is not a key", (raw) => {
        expect(normaliseKey(raw)).toBeUndefined();
    });

    test("whitespace folds so tabs never flap", () => {
        expect(normaliseValue("32768\t60999")).toBe("32768 60999");
        expect(normaliseValue("  4096 \t 87380   6291456 ")).toBe("4096 87380 6291456");
        expect(normaliseValue("1")).toBe("1");
        expect(normaliseValue(" 1\n")).toBe("1");
    });

    test("a remembered key is the same answer, shared read-only, also past the memo's bound", () => {
        const first = normaliseKey("net/ipv4/conf/eth0.100/rp_filter");
        expect(normaliseKey("net/ipv4/conf/eth0.100/rp_filter")).toBe(first);
        expect(Object.isFrozen(first)).toBe(true);
        expect(normaliseKey("kernel.$(reboot)")).toBeUndefined();
        expect(normaliseKey("kernel.$(reboot)")).toBeUndefined();
        for (let i = 0; i < 5000; i++) expect(normaliseKey(`net.ipv4.conf.eth${i}.rp_filter`)?.procPath).toBe(`net/ipv4/conf/eth${i}/rp_filter`);
        expect(normaliseKey("net/ipv4/conf/eth0.100/rp_filter")).toEqual({ key: "net.ipv4.conf.eth0/100.rp_filter", procPath: "net/ipv4/conf/eth0.100/rp_filter" });
    });
});

describe("check", () => {
    const base = { connection: conn, file: "90-x.conf", entries: { "kernel/kptr_restrict": 2, "net.ipv4.ip_local_port_range": "32768\t60999" } };

    test("normalises keys, values and defaults", () => {
        const r = SysctlInputsSchema.parse(base);
        expect(r.entries).toEqual({ "kernel.kptr_restrict": "2", "net.ipv4.ip_local_port_range": "32768 60999" });
        expect(r.connection).toMatchObject({ host: "10.0.0.1", port: 22, user: "root", dialErrorLimit: 10, perDialTimeout: 15, insecureIgnoreHostKey: false });
        expect(r.previewReadsHost).toBe(true);
    });

    function failures(input: unknown) {
        const r = SysctlInputsSchema.safeParse(input);
        return r.success ? [] : zodFailures(r.error.issues);
    }

    test("names the property of every bad input", () => {
        expect(failures({ ...base, file: "../../etc/passwd" })[0].property).toBe("file");
        expect(failures({ ...base, file: "x.sh" })[0].reason).toMatch(/^file: must be a plain file name ending in \.conf/);
        expect(failures({ ...base, entries: { "kernel.kptr_restrict": "1\nkernel.modules_disabled = 1" } })[0]).toEqual({
            property: 'entries["kernel.kptr_restrict"]',
            reason: 'entries["kernel.kptr_restrict"]: must not contain a newline, carriage return or NUL',
        });
        expect(failures({ ...base, entries: { "x; rm -rf /": "1" } })[0].property).toBe('entries["x; rm -rf /"]');
        // zod 4 wraps a key's issue ("Invalid key in record"): the key's own message is what shows.
        expect(failures({ ...base, entries: { "bad key": "1" } })[0].reason).toBe(
            'entries["bad key"]: "bad key" is not a sysctl key (expected a dotted name such as kernel.kptr_restrict)',
        );
        expect(failures({ ...base, entries: {} })[0].property).toBe("entries");
        expect(failures({ ...base, entries: { "kernel.kptr_restrict": "2", "kernel/kptr_restrict": "1" } })[0].reason).toMatch(/names the same key/);
        expect(failures({ ...base, connection: { host: "h; reboot" } })[0].property).toBe("connection.host");
        expect(failures({ ...base, connection: { host: "h", port: 70000 } })[0].property).toBe("connection.port");
        expect(failures({ ...base, connection: { host: "h", user: "$(id)" } })[0].property).toBe("connection.user");
        expect(failures({ ...base, connection: { host: "h", hostKey: "nonsense" } })[0].property).toBe("connection.hostKey");
        expect(failures({ ...base, extra: 1 })[0].reason).toMatch(/Unrecognized key/);
    });

    test("one-way keys need an explicit opt-in", () => {
        const oneWay = { ...base, entries: { "kernel.kexec_load_disabled": "1" } };
        expect(failures(oneWay)[0].reason).toMatch(/cannot be undone until the host reboots; set allowOneWayKeys: true/);
        expect(failures({ ...oneWay, allowOneWayKeys: true })).toEqual([]);
        expect(failures({ ...base, entries: { "kernel.kexec_load_disabled": "0" } })).toEqual([]);
    });

    test.each(["01", "0x1", "0X01", " 1", "1 ", "+1", "001", "1 0"])("one-way keys: %j is 1 to the kernel and needs the opt-in too", (v) => {
        const f = failures({ ...base, entries: { "kernel.modules_disabled": v } });
        expect(f[0]?.reason).toMatch(/kernel\.modules_disabled=1 cannot be undone until the host reboots.*set allowOneWayKeys: true/);
        expect(failures({ ...base, entries: { "kernel.yama.ptrace_scope": v.replace("1", "3") } })[0]?.reason).toMatch(/ptrace_scope=3 cannot be undone/);
    });

    test("one-way keys are recorded as the kernel prints them; other keys as written", () => {
        const r = SysctlInputsSchema.parse({ ...base, allowOneWayKeys: true, entries: { "kernel.modules_disabled": "0x1", "kernel.hostname": "007", "vm.swappiness": "010" } });
        expect(r.entries).toEqual({ "kernel.hostname": "007", "kernel.modules_disabled": "1", "vm.swappiness": "010" });
        expect(failures({ ...base, entries: { "kernel.modules_disabled": "0x0", "kernel.unprivileged_bpf_disabled": "2", "kernel.yama.ptrace_scope": "0x2" } })).toEqual([]);
    });
});

describe("integers as the kernel reads them (base 0)", () => {
    test.each([
        ["1", 1n], ["01", 1n], ["0x1", 1n], ["0X1f", 31n], ["010", 8n], ["-0x10", -16n], ["+7", 7n], [" 42 ", 42n], ["0", 0n],
        ["08", undefined], ["0x", undefined], ["1a", undefined], ["", undefined], ["1.0", undefined], ["--1", undefined],
    ])("%j -> %p", (t, n) => {
        expect(kernelInteger(t)).toBe(n);
    });

    test("canonical forms and comparisons", () => {
        expect(kernelCanonical("0x10\t010")).toBe("16 8");
        expect(kernelCanonical("reno cubic")).toBe("reno cubic");
        expect(sameValue("16", "0x10")).toBe(true);
        expect(sameValue("16", "17")).toBe(false);
        expect(sameValue(null, "1")).toBe(false);
        expect(locksOneWay("kernel.kexec_load_disabled", "0x01")).toBe(true);
        expect(locksOneWay("kernel.kexec_load_disabled", "0")).toBe(false);
        expect(locksOneWay("vm.swappiness", "1")).toBe(false);
    });
});

describe("file format", () => {
    test("renders sorted entries under a header and comment", () => {
        expect(renderFile({ entries: { "a.b": "1", "c.d": "2 3" }, comment: "why\nmore" })).toBe(
            "# Managed by Pulumi (kernelhardening:index:Sysctl). Edits made here are reverted by `pulumi up`.\n# why\n# more\na.b = 1\nc.d = 2 3\n",
        );
    });

    test("parses sysctl.d syntax: comments, '-' prefix, last assignment wins, slashes", () => {
        const m = parseConf("# c\n; c\n-kernel.sysrq=0\nkernel.kptr_restrict = 1\nkernel/kptr_restrict=2\nnonsense\n  net.core.somaxconn =  4096  \n");
        expect(m.get("kernel.kptr_restrict")?.value).toBe("2");
        expect(m.get("kernel.sysrq")).toEqual({ key: "kernel.sysrq", value: "0", ignoreFailure: true });
        expect(m.get("net.core.somaxconn")?.value).toBe("4096");
        expect(m.size).toBe(3);
    });
});

describe("precedence at boot", () => {
    const f = (dir: string, name: string, content: string) => ({ dir, name, content });

    test("a later file name wins; /etc masks /usr/lib of the same name; sysctl.conf is last", () => {
        const files = [
            f("/usr/lib/sysctl.d", "50-default.conf", "kernel.kptr_restrict = 0\n"),
            f("/usr/lib/sysctl.d", "95-vendor.conf", "kernel.kptr_restrict = 1\n"),
            f("/etc/sysctl.d", "95-vendor.conf", "# masked\n"),
            f("/etc/sysctl.d", "90-post.conf", "kernel.kptr_restrict = 2\nkernel.dmesg_restrict = 1\n"),
            f("/run/sysctl.d", "99-run.conf", "kernel.dmesg_restrict = 0\n"),
            f("/etc", "sysctl.conf", "kernel.kptr_restrict = 2\n"),
        ];
        expect(bootOrder(files).map((x) => `${x.dir}/${x.name}`)).toEqual([
            "/usr/lib/sysctl.d/50-default.conf",
            "/etc/sysctl.d/90-post.conf",
            "/etc/sysctl.d/95-vendor.conf",
            "/run/sysctl.d/99-run.conf",
            "/etc/sysctl.conf",
        ]);
        expect(findOverrides(files, "90-post.conf", { "kernel.kptr_restrict": "2", "kernel.dmesg_restrict": "1" })).toEqual([
            { key: "kernel.dmesg_restrict", file: "/run/sysctl.d/99-run.conf", value: "0" },
        ]);
    });

    test("Debian's 99-sysctl.conf link to sysctl.conf counts once", () => {
        const files = [f("/etc/sysctl.d", "99-sysctl.conf", "vm.x = 1\n"), f("/etc", "sysctl.conf", "vm.x = 1\n")];
        expect(bootOrder(files)).toHaveLength(1);
    });
});

describe("planning", () => {
    const want = { file: "90-post.conf", entries: { "kernel.kptr_restrict": "2", "kernel.dmesg_restrict": "1" }, comment: undefined };

    test("state reports the live value where it differs, then the file's, else the desired one", () => {
        const obs = observed({
            file: renderFile({ entries: { "kernel.kptr_restrict": "2", "kernel.dmesg_restrict": "0" } }),
            live: { "kernel.kptr_restrict": "1", "kernel.dmesg_restrict": "1" },
        });
        const st = stateFromObservation(want, obs, {});
        expect(st.entries).toEqual({ "kernel.kptr_restrict": "1", "kernel.dmesg_restrict": "0" });
        expect(st.liveValues).toEqual({ "kernel.kptr_restrict": "1", "kernel.dmesg_restrict": "1" });
    });

    test("diff names each changed key; file and host replace", () => {
        const old = { entries: { "kernel.kptr_restrict": "0", "vm.old": "1" }, file: "90-post.conf", fileContent: "", host: "h", port: 22 };
        expect(diffSysctl(old, { ...want, host: "h", port: 22 })).toEqual([
            { path: 'entries["kernel.kptr_restrict"]', kind: "update" },
            { path: 'entries["kernel.dmesg_restrict"]', kind: "add" },
            { path: 'entries["vm.old"]', kind: "delete" },
        ]);
        const same = { entries: want.entries, file: "90-post.conf", fileContent: renderFile(want), host: "h", port: 22 };
        expect(diffSysctl(same, { ...want, host: "h", port: 22 })).toEqual([]);
        expect(diffSysctl({ ...same, fileContent: renderFile(want) + "extra = 1\n" }, { ...want, host: "h", port: 22 })).toEqual([{ path: "fileContent", kind: "update" }]);
        expect(diffSysctl(same, { ...want, file: "91.conf", host: "h2", port: 22 }).filter((c) => c.replace).map((c) => c.path)).toEqual(["file", "connection.host"]);
    });

    test("apply ensures every key and restores keys dropped from the resource", () => {
        const plan = planApply(want, { "vm.dropped": "60", "vm.unknown": null, "kernel.kptr_restrict": "0" });
        // A resource with recorded values owns its file; a new one takes over a foreign file only with adopt.
        expect(plan.takeover).toBe("own");
        expect(planApply(want, {}).takeover).toBe("new");
        expect(planApply({ ...want, adopt: true }, {}).takeover).toBe("adopt");
        expect(plan.sets).toEqual([
            { key: "kernel.kptr_restrict", value: "2" },
            { key: "kernel.dmesg_restrict", value: "1" },
            { key: "vm.dropped", value: "60" },
        ]);
        expect(plan.content).toBe(renderFile(want));
    });

    test("delete restores known previous values and removes the file", () => {
        expect(planDelete("90-post.conf", { a: "1", b: null })).toEqual({ file: "90-post.conf", content: "delete", sets: [{ key: "a", value: "1" }], keys: ["a", "b"] });
    });

    test("previous values: kept from before, else what the apply replaced, else live", () => {
        const after = observed({ live: { a: "2", b: "1", c: "5", d: "7" }, before: { b: "0\t1" }, prev: { d: "3", b: "8" } });
        expect(nextPreviousValues({ a: "2", b: "1", c: "5", d: "7" }, after, { a: "9" })).toEqual({ a: "9", b: "8", c: "5", d: "3" });
    });
});

test("kernel errors read as reasons", () => {
    expect(cleanShellError("/bin/sh: 12: cannot create /proc/sys/kernel/x: Directory nonexistent")).toBe("no such key on this kernel");
    expect(cleanShellError("/bin/sh: 1: printf: printf: I/O error\n/bin/sh: 1: printf: write error: Invalid argument")).toBe("Invalid argument");
    expect(cleanShellError("sh: 1: cannot create /proc/sys/kernel/version: Permission denied")).toBe("the key is read-only");
});

test("an integer in force as the kernel prints it is no drift and verifies", () => {
    const want = SysctlInputsSchema.parse({ connection: conn, file: "90-x.conf", entries: { "vm.swappiness": "0x10" } });
    const obs = observed({ live: { "vm.swappiness": "16" }, file: renderFile(want) });
    expect(stateFromObservation(want, obs, {}).entries).toEqual({ "vm.swappiness": "0x10" });
    expect(unverified(want.entries, obs)).toEqual([]);
    expect(unverified(want.entries, observed({ live: { "vm.swappiness": "17" } }))).toHaveLength(1);
});
