import { audit, failsAtOrAbove, Finding, summarize } from "../../provider/audit/audit";
import { HostFacts, parseKconfig } from "../../provider/audit/facts";
import { parseLockdown } from "../../provider/audit/lockdown";
import { AUDIT_SYSCTL_KEYS } from "../../provider/audit/rules/sysctl";
import { COSTLY_BOOT, STRICT_BOOT } from "../../provider/resources/kernelcmdline/profile";
import { cmdlineParams } from "../../provider/audit/engine";

// The post's stock Debian 12 cloud kernel (6.1.0-18-cloud-amd64), as its grep output shows it.
const DEBIAN_KCONFIG = `
CONFIG_MODULES=y
CONFIG_MODULE_SIG=y
# CONFIG_MODULE_SIG_FORCE is not set
CONFIG_KEXEC_CORE=y
CONFIG_KEXEC=y
CONFIG_KEXEC_FILE=y
CONFIG_KEXEC_SIG=y
# CONFIG_KEXEC_SIG_FORCE is not set
CONFIG_RANDOMIZE_BASE=y
CONFIG_SECURITY_DMESG_RESTRICT=y
CONFIG_SECURITY_SELINUX=y
CONFIG_SECURITY_SELINUX_DEVELOP=y
CONFIG_RANDSTRUCT_NONE=y
CONFIG_SECURITY_LOCKDOWN_LSM=y
CONFIG_SECURITY_LOCKDOWN_LSM_EARLY=y
CONFIG_LOCK_DOWN_KERNEL_FORCE_NONE=y
# CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY is not set
# CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY is not set
CONFIG_INIT_ON_ALLOC_DEFAULT_ON=y
# CONFIG_INIT_ON_FREE_DEFAULT_ON is not set
CONFIG_SLAB_MERGE_DEFAULT=y
CONFIG_IO_URING=y
CONFIG_BPF_SYSCALL=y
CONFIG_BPF_JIT=y
CONFIG_PERF_EVENTS=y
CONFIG_USER_NS=y
CONFIG_USERFAULTFD=y
CONFIG_MAGIC_SYSRQ=y
CONFIG_HARDENED_USERCOPY=y
CONFIG_X86_VSYSCALL_EMULATION=y
CONFIG_LEGACY_VSYSCALL_XONLY=y
`;

function debianFacts(over: Partial<HostFacts> = {}): HostFacts {
    return {
        kernelRelease: "6.1.0-18-cloud-amd64",
        kconfig: parseKconfig(DEBIAN_KCONFIG),
        kconfigSource: "/boot/config-6.1.0-18-cloud-amd64",
        cmdline: "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-cloud-amd64 root=PARTUUID=6e1c ro console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0",
        sysctls: {
            "kernel.kptr_restrict": "0",
            "kernel.dmesg_restrict": "1",
            "kernel.kexec_load_disabled": "0",
            "kernel.io_uring_disabled": null,
            "dev.tty.legacy_tiocsti": null,
            "kernel.unprivileged_bpf_disabled": "2",
            "kernel.unprivileged_userns_clone": null,
        },
        lockdown: { current: "none", available: ["none", "integrity", "confidentiality"] },
        lsms: ["lockdown", "capability", "selinux"],
        tainted: 0,
        sigEnforce: false,
        arch: "x86_64",
        ...over,
    };
}

const byId = (fs: Finding[], id: string): Finding => {
    const f = fs.find((x) => x.id === id);
    if (!f) throw new Error(`no finding ${id}`);
    return f;
};
const status = (f: HostFacts, id: string) => byId(audit(f), id).status;

describe("parseKconfig", () => {
    it("reads y/m/values, strips quotes with escapes, and maps 'is not set' to n", () => {
        const k = parseKconfig(
            [
                "#",
                "# Automatically generated file; DO NOT EDIT.",
                "CONFIG_A=y",
                "CONFIG_B=m",
                'CONFIG_LSM="landlock,lockdown,yama"',
                'CONFIG_Q="say \\"hi\\" \\\\"',
                "CONFIG_HEX=0x0\r",
                "# CONFIG_C is not set",
                "CONFIG_EMPTY=",
                "garbage line",
                "#CONFIG_D is not set",
            ].join("\n"),
        );
        expect(Object.fromEntries(k)).toEqual({
            CONFIG_A: "y",
            CONFIG_B: "m",
            CONFIG_LSM: "landlock,lockdown,yama",
            CONFIG_Q: 'say "hi" \\',
            CONFIG_HEX: "0x0",
            CONFIG_C: "n",
            CONFIG_EMPTY: "",
            CONFIG_D: "n",
        });
    });

    it("lets a later line win", () => {
        expect(parseKconfig("CONFIG_X=y\n# CONFIG_X is not set").get("CONFIG_X")).toBe("n");
        expect(parseKconfig("# CONFIG_X is not set\nCONFIG_X=y").get("CONFIG_X")).toBe("y");
    });
});

describe("parseLockdown", () => {
    it("finds the bracketed level", () => {
        expect(parseLockdown("[none] integrity confidentiality\n")).toEqual({ current: "none", available: ["none", "integrity", "confidentiality"] });
        expect(parseLockdown("none [integrity] confidentiality")?.current).toBe("integrity");
        expect(parseLockdown("none integrity [confidentiality]")?.current).toBe("confidentiality");
    });

    it.each(["", "   \n", "none integrity confidentiality", "[none] [integrity]", "[bogus] integrity", "[none] integrity extra", "<html>"])(
        "returns null for %j",
        (text) => expect(parseLockdown(text)).toBeNull(),
    );
});

describe("cmdlineParams (the kernel module's grammar)", () => {
    it("splits on whitespace, keeps = in values and maps bare flags to true", () => {
        const m = cmdlineParams("BOOT_IMAGE=/vmlinuz root=UUID=ab-cd  ro\tquiet\nslab_nomerge init_on_alloc=1 empty=");
        expect(Object.fromEntries(m)).toEqual({ BOOT_IMAGE: "/vmlinuz", root: "UUID=ab-cd", ro: true, quiet: true, slab_nomerge: true, init_on_alloc: "1", empty: "" });
    });

    it("honours double quotes", () => {
        const m = cmdlineParams('dyndbg="file foo.c +p" "quoted=a b" x=1');
        expect(m.get("dyndbg")).toBe("file foo.c +p");
        expect(m.get("quoted")).toBe("a b");
        expect(m.get("x")).toBe("1");
    });

    it("lets the last occurrence win", () => {
        expect(cmdlineParams("init_on_alloc=1 init_on_alloc=0").get("init_on_alloc")).toBe("0");
        expect(cmdlineParams("lockdown=integrity lockdown").get("lockdown")).toBe(true);
    });

    it("treats - and _ in names alike and stops at a bare --", () => {
        const m = cmdlineParams("init-on-alloc=1 ro -- nokaslr single");
        expect(m.get("init_on_alloc")).toBe("1");
        expect(m.has("nokaslr")).toBe(false);
        expect(m.has("single")).toBe(false);
    });

    it("reads quotes as the kernel does: a quoted token and a quoted value, never a quote left in", () => {
        expect(Object.fromEntries(cmdlineParams('"a=b c" d="e" f=g"h'))).toEqual({ a: "b c", d: "e", f: 'g"h' });
        expect(cmdlineParams('"--" nokaslr').has("nokaslr")).toBe(false);
    });

    it("returns an empty map for an empty line", () => {
        expect(cmdlineParams("  \n").size).toBe(0);
    });
});

describe("audit: the post's Debian 12 cloud kernel", () => {
    const fs = audit(debianFacts());

    it.each([
        ["kconfig.MODULE_SIG", "pass"],
        ["kconfig.MODULE_SIG_FORCE", "fail"],
        ["kconfig.KEXEC", "fail"],
        ["kconfig.KEXEC_FILE", "fail"],
        ["kconfig.KEXEC_SIG", "pass"],
        ["kconfig.KEXEC_SIG_FORCE", "fail"],
        ["kconfig.RANDOMIZE_BASE", "pass"],
        ["kconfig.SECURITY_DMESG_RESTRICT", "pass"],
        ["kconfig.LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY", "fail"],
        ["kconfig.SECURITY_SELINUX_DEVELOP", "fail"],
        ["kconfig.RANDSTRUCT_FULL", "fail"],
        ["kconfig.SECURITY_LOCKDOWN_LSM", "pass"],
        ["runtime.lockdown", "fail"],
        ["runtime.taint.unsigned_module", "pass"],
        ["sysctl.kernel.kptr_restrict", "fail"],
        ["sysctl.kernel.dmesg_restrict", "pass"],
        ["sysctl.kernel.kexec_load_disabled", "fail"],
        ["sysctl.kernel.unprivileged_bpf_disabled", "pass"],
        ["cmdline.module.sig_enforce", "fail"],
        ["cmdline.lockdown", "fail"],
        ["cmdline.init_on_alloc", "pass"],
        ["cmdline.init_on_free", "fail"],
        ["cmdline.slab_nomerge", "fail"],
        ["cmdline.nokaslr", "pass"],
        ["cmdline.mitigations", "fail"],
        ["cmdline.mitigations_off", "pass"],
        ["runtime.module_sig_enforce", "fail"],
    ])("%s is %s", (id, want) => {
        expect(byId(fs, id).status).toBe(want);
    });

    it("shows what it saw and how to fix it", () => {
        const force = byId(fs, "kconfig.MODULE_SIG_FORCE");
        expect(force.observed).toContain("CONFIG_MODULE_SIG_FORCE is not set");
        expect(byId(fs, "runtime.module_sig_enforce").observed).toContain("sig_enforce=N");
        expect(byId(fs, "runtime.lockdown").observed).toBe("[none] integrity confidentiality");
        expect(byId(fs, "runtime.lockdown").fix).toBe("Lockdown mode: integrity");
        expect(byId(fs, "sysctl.kernel.kptr_restrict")).toMatchObject({ observed: "0", expected: "2 or more", severity: "high", fix: 'Sysctl entries["kernel.kptr_restrict"] = "2"' });
        expect(byId(fs, "sysctl.kernel.kexec_load_disabled").fix).toContain("allowOneWayKeys");
        expect(byId(fs, "kconfig.KEXEC").fix).toBe("needs a kernel built with CONFIG_KEXEC not set");
    });

    it("names KernelCmdline as the fix of a command-line finding, and what to remove when a parameter must go", () => {
        expect(byId(fs, "cmdline.module.sig_enforce").fix).toBe('KernelCmdline parameters["module.sig_enforce"] = "1"');
        expect(byId(fs, "cmdline.slab_nomerge").fix).toBe('KernelCmdline parameters["slab_nomerge"] = ""');
        expect(byId(fs, "cmdline.efi").fix).toBe('KernelCmdline parameters["efi"] = "disable_early_pci_dma"');
        expect(byId(fs, "cmdline.lockdown").fix).toMatch(/Lockdown resource/);
        expect(byId(fs, "cmdline.nokaslr").fix).toMatch(/\(remove nokaslr from the boot configuration that sets it\)$/);
        expect(byId(fs, "cmdline.spectre_v2").fix).toMatch(/remove spectre_v2=off /);
        expect(byId(fs, "cmdline.mitigations_off").fix).toMatch(/remove mitigations=off /);
        // Every boot parameter of the strict profile has its finding's fix in KernelCmdline.
        for (const k of Object.keys({ ...STRICT_BOOT, ...COSTLY_BOOT })) {
            expect(byId(fs, `cmdline.${k}`).fix).toMatch(new RegExp(`^KernelCmdline parameters\\["${k}"\\] = "[^"]*"$`));
        }
    });

    // Was "unknown": 6.1 has TIOCSTI and io_uring built in with no switch, so nothing turns them off.
    it("fails keys missing on 6.1 whose feature is built, with a newer kernel as the fix", () => {
        expect(byId(fs, "sysctl.kernel.io_uring_disabled")).toMatchObject({
            status: "fail", observed: expect.stringContaining("has no switch for it (added in 6.6)"), fix: expect.stringMatching(/^needs kernel 6\.6 or newer/),
        });
        expect(byId(fs, "sysctl.dev.tty.legacy_tiocsti")).toMatchObject({ status: "fail", fix: expect.stringMatching(/^needs kernel 6\.2 or newer/) });
    });

    it("reports keys that were not collected as unknown without an observation", () => {
        expect(byId(fs, "sysctl.fs.suid_dumpable")).toMatchObject({ status: "unknown", observed: null });
    });

    it("only fails kptr_restrict below 2 (KSPP), though the post accepts 1", () => {
        const at = (v: string) => status(debianFacts({ sysctls: { "kernel.kptr_restrict": v } }), "sysctl.kernel.kptr_restrict");
        expect(at("1")).toBe("fail");
        expect(at("2")).toBe("pass");
        expect(at("banana")).toBe("fail");
    });
});

describe("module signature enforcement", () => {
    it.each(["module.sig_enforce=1", "module.sig_enforce=Y", "module.sig_enforce=on", "module.sig_enforce=true", "module.sig_enforce"])(
        "%s on the command line passes cmdline.module.sig_enforce, not the kconfig check",
        (p) => {
            const f = debianFacts({ cmdline: `ro quiet ${p}`, sigEnforce: null });
            expect(status(f, "kconfig.MODULE_SIG_FORCE")).toBe("fail");
            expect(status(f, "cmdline.module.sig_enforce")).toBe("pass");
        },
    );

    it.each(["module.sig_enforce=0", "module.sig_enforce=off", "module.sig_enforce=maybe"])("%s does not", (p) => {
        const f = debianFacts({ cmdline: `ro ${p}`, sigEnforce: null });
        expect(status(f, "cmdline.module.sig_enforce")).toBe("fail");
    });

    it("passes at runtime when the flag reads Y or Lockdown is on, and in the build when it forces it", () => {
        expect(status(debianFacts({ sigEnforce: true }), "runtime.module_sig_enforce")).toBe("pass");
        const locked = { current: "integrity" as const, available: ["none" as const, "integrity" as const, "confidentiality" as const] };
        expect(status(debianFacts({ sigEnforce: false, lockdown: locked }), "runtime.module_sig_enforce")).toBe("pass");
        const forced = debianFacts({ kconfig: parseKconfig(DEBIAN_KCONFIG + "CONFIG_MODULE_SIG_FORCE=y\n"), sigEnforce: null });
        expect(status(forced, "kconfig.MODULE_SIG_FORCE")).toBe("pass");
        expect(status(forced, "cmdline.module.sig_enforce")).toBe("pass");
    });

    it("fails on a runtime N without Lockdown, and is unknown with no evidence at all", () => {
        expect(status(debianFacts({ kconfig: null, sigEnforce: false }), "runtime.module_sig_enforce")).toBe("fail");
        expect(status(debianFacts({ kconfig: null, lockdown: null, sigEnforce: null }), "runtime.module_sig_enforce")).toBe("unknown");
    });
});

describe("unknown facts", () => {
    it("makes every kconfig finding unknown without a kconfig, with no observation", () => {
        // Those with a version alternative (REFCOUNT_FULL or 5.4.208+) are decided by the release alone.
        const fs = audit(debianFacts({ kconfig: null, sigEnforce: null, cmdline: null }))
            .filter((x) => x.category === "kconfig" && !/^kernel \d/.test(x.observed ?? ""));
        expect(fs.length).toBeGreaterThan(200);
        for (const x of fs) expect({ id: x.id, status: x.status, observed: x.observed }).toEqual({ id: x.id, status: "unknown", observed: null });
    });

    it("makes a cmdline item that depends on a kconfig default unknown, but not one given explicitly", () => {
        const f = debianFacts({ kconfig: null, cmdline: "ro init_on_free=1" });
        expect(status(f, "cmdline.init_on_alloc")).toBe("unknown");
        expect(status(f, "cmdline.init_on_free")).toBe("pass");
    });

    it("makes every cmdline finding unknown without a command line", () => {
        // Unless a kconfig alternative alone decides it (vsyscall with X86_VSYSCALL_EMULATION off, ...).
        const fs = audit(debianFacts({ cmdline: null, kconfig: null })).filter((x) => x.category === "cmdline");
        expect(fs.map((x) => x.status)).toEqual(fs.map(() => "unknown"));
    });

    it("makes runtime findings unknown without their facts", () => {
        const f = debianFacts({ lockdown: null, lsms: null, tainted: null });
        expect(status(f, "runtime.lockdown")).toBe("unknown");
        expect(status(f, "runtime.taint.unsigned_module")).toBe("unknown");
    });
});

describe("absence that is itself safe", () => {
    it("passes a missing sysctl whose feature is not built", () => {
        const k = parseKconfig(DEBIAN_KCONFIG + "# CONFIG_KEXEC_CORE is not set\n# CONFIG_IO_URING is not set\n");
        const fs = audit(debianFacts({ kconfig: k, sysctls: { "kernel.kexec_load_disabled": null, "kernel.io_uring_disabled": null } }));
        expect(byId(fs, "sysctl.kernel.kexec_load_disabled").status).toBe("pass");
        expect(byId(fs, "sysctl.kernel.io_uring_disabled")).toMatchObject({ status: "pass", observed: expect.stringContaining("CONFIG_IO_URING is not set") });
    });

    it("judges a present key on its value unless the kconfig explicitly says the feature is not built", () => {
        const userns = (kconfig: string) => status(debianFacts({ kconfig: parseKconfig(kconfig), sysctls: { "user.max_user_namespaces": "15000", "kernel.unprivileged_userns_clone": null } }),
            "sysctl.user.max_user_namespaces");
        expect(userns("# CONFIG_USER_NS is not set")).toBe("pass");
        expect(userns("CONFIG_X=y")).toBe("fail");
        expect(userns("CONFIG_USER_NS=y")).toBe("fail");
    });

    it("fails a missing legacy_tiocsti: 6.1 has no switch, and a newer kernel without it lacks the protection", () => {
        expect(status(debianFacts({ kconfig: parseKconfig("CONFIG_X=y") }), "sysctl.dev.tty.legacy_tiocsti")).toBe("fail");
        const newer = debianFacts({ kernelRelease: "6.12.9-amd64", sysctls: { "dev.tty.legacy_tiocsti": null } });
        expect(byId(audit(newer), "sysctl.dev.tty.legacy_tiocsti")).toMatchObject({ status: "fail", fix: expect.stringMatching(/^Sysctl/) });
    });

    // Debian's own switch (still in 6.1 and 6.12) disables unprivileged user namespaces too.
    it("passes user namespaces turned off with Debian's kernel.unprivileged_userns_clone=0", () => {
        const f = debianFacts({ sysctls: { "user.max_user_namespaces": "15000", "kernel.unprivileged_userns_clone": "0" } });
        expect(byId(audit(f), "sysctl.user.max_user_namespaces")).toMatchObject({ status: "pass", observed: expect.stringContaining("unprivileged_userns_clone=0") });
        const on = debianFacts({ sysctls: { "user.max_user_namespaces": "15000", "kernel.unprivileged_userns_clone": "1" } });
        expect(status(on, "sysctl.user.max_user_namespaces")).toBe("fail");
    });
});

describe("kconfig alternatives", () => {
    const withK = (text: string) => debianFacts({ kconfig: parseKconfig(text) });

    // RANDSTRUCT_PERFORMANCE is no longer accepted: KSPP revoked it, and it needs GCC plugins anyway.
    it.each(["CONFIG_RANDSTRUCT_FULL=y", "CONFIG_GCC_PLUGIN_RANDSTRUCT=y"])("%s passes RANDSTRUCT", (line) => {
        expect(status(withK(line), "kconfig.RANDSTRUCT_FULL")).toBe("pass");
    });

    // The old docs named "a Clang build with RANDSTRUCT_PERFORMANCE=y", which cannot exist: it needs
    // GCC_PLUGINS. The GCC build that can have it fails, as with KHC.
    it("fails a GCC build with only RANDSTRUCT_PERFORMANCE", () => {
        const gcc = withK("CONFIG_CC_IS_GCC=y\nCONFIG_GCC_PLUGINS=y\nCONFIG_RANDSTRUCT_PERFORMANCE=y\n# CONFIG_RANDSTRUCT_FULL is not set");
        const f = byId(audit(gcc), "kconfig.RANDSTRUCT_FULL");
        expect(f.status).toBe("fail");
        expect(f.differsFromKhc).toBeUndefined();
    });

    it.each(["CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y", "CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY=y"])("%s passes the forced lockdown check", (line) => {
        const f = byId(audit(withK(line)), "kconfig.LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY");
        expect(f.status).toBe("pass");
        expect(f.differsFromKhc).toMatch(/integrity/);
        expect(status(withK(`${line}\nCONFIG_SECURITY_LOCKDOWN_LSM=y`), "cmdline.lockdown")).toBe("pass");
    });

    it("passes SELINUX_DEVELOP when SELinux is not built, and says so", () => {
        const f = byId(audit(withK("# CONFIG_SECURITY_SELINUX is not set")), "kconfig.SECURITY_SELINUX_DEVELOP");
        expect(f.status).toBe("pass");
        expect(f.observed).toMatch(/SECURITY_SELINUX_DEVELOP not in the config/);
        expect(status(withK("CONFIG_SECURITY_SELINUX=y\n# CONFIG_SECURITY_SELINUX_DEVELOP is not set"), "kconfig.SECURITY_SELINUX_DEVELOP")).toBe("pass");
    });

    it("passes kexec signature checks when kexec_file_load is not built", () => {
        const f = withK("# CONFIG_KEXEC is not set\n# CONFIG_KEXEC_FILE is not set");
        expect(status(f, "kconfig.KEXEC")).toBe("pass");
        expect(status(f, "kconfig.KEXEC_SIG_FORCE")).toBe("pass");
        // Was "fail": with no kexec at all there is nothing to sign (Debian arm64).
        expect(status(f, "kconfig.KEXEC_FILE")).toBe("pass");
        expect(status(withK("CONFIG_KEXEC_FILE=y\n# CONFIG_KEXEC_SIG_FORCE is not set"), "kconfig.KEXEC_FILE")).toBe("fail");
        expect(byId(audit(f), "kconfig.KEXEC_FILE").differsFromKhc).toMatch(/KEXEC_SIG_FORCE/);
    });

    it("passes the post's Cloudflare kexec configuration", () => {
        const f = withK("# CONFIG_KEXEC is not set\nCONFIG_KEXEC_FILE=y\nCONFIG_KEXEC_SIG=y\nCONFIG_KEXEC_SIG_FORCE=y");
        for (const id of ["kconfig.KEXEC", "kconfig.KEXEC_FILE", "kconfig.KEXEC_SIG", "kconfig.KEXEC_SIG_FORCE"]) expect(status(f, id)).toBe("pass");
    });
});

describe("command-line parameters and their kconfig defaults", () => {
    const f = (cmdline: string, kconfig = "") => debianFacts({ cmdline, kconfig: parseKconfig(kconfig) });

    it("lets an explicit parameter override the build default", () => {
        expect(status(f("ro", "CONFIG_INIT_ON_ALLOC_DEFAULT_ON=y"), "cmdline.init_on_alloc")).toBe("pass");
        expect(status(f("init_on_alloc=0", "CONFIG_INIT_ON_ALLOC_DEFAULT_ON=y"), "cmdline.init_on_alloc")).toBe("fail");
        expect(status(f("init_on_alloc=yes"), "cmdline.init_on_alloc")).toBe("pass");
        expect(status(f("ro"), "cmdline.init_on_alloc")).toBe("fail");
    });

    it("ignores a bare early parameter, as the kernel does", () => {
        expect(status(f("init_on_alloc"), "cmdline.init_on_alloc")).toBe("fail");
    });

    // Was "pass": page_alloc.shuffle's ops have no NOARG flag, so the kernel rejects the bare word.
    it("fails a bare page_alloc.shuffle", () => {
        expect(status(f("page_alloc.shuffle", "CONFIG_SHUFFLE_PAGE_ALLOCATOR=y"), "cmdline.page_alloc.shuffle")).toBe("fail");
    });

    it("treats hash_pointers=never like no_hash_pointers", () => {
        expect(status(f("hash_pointers=never"), "cmdline.no_hash_pointers")).toBe("fail");
        expect(status(f("hash_pointers=always"), "cmdline.no_hash_pointers")).toBe("pass");
        expect(status(f("hash_pointers=always"), "cmdline.hash_pointers")).toBe("pass");
    });

    it("handles slab_nomerge via the build default and slab_merge/slub_merge overrides", () => {
        expect(status(f("slab_nomerge", "CONFIG_SLAB_MERGE_DEFAULT=y"), "cmdline.slab_nomerge")).toBe("pass");
        expect(status(f("ro", "# CONFIG_SLAB_MERGE_DEFAULT is not set"), "cmdline.slab_nomerge")).toBe("pass");
        expect(status(f("slub_merge", "# CONFIG_SLAB_MERGE_DEFAULT is not set"), "cmdline.slab_nomerge")).toBe("fail");
    });

    it("wants page_alloc.shuffle=1, with SHUFFLE_PAGE_ALLOCATOR checked on its own", () => {
        expect(status(f("page_alloc.shuffle=1", "CONFIG_SHUFFLE_PAGE_ALLOCATOR=y"), "cmdline.page_alloc.shuffle")).toBe("pass");
        expect(status(f("page_alloc.shuffle=1", "# CONFIG_SHUFFLE_PAGE_ALLOCATOR is not set"), "kconfig.SHUFFLE_PAGE_ALLOCATOR")).toBe("fail");
        expect(status(f("ro", "CONFIG_SHUFFLE_PAGE_ALLOCATOR=y"), "cmdline.page_alloc.shuffle")).toBe("fail");
    });

    it("takes hardened_usercopy's default from HARDENED_USERCOPY_DEFAULT_ON where the kernel has it (6.15+)", () => {
        const id = "cmdline.hardened_usercopy";
        // Before 6.15 the option does not exist and HARDENED_USERCOPY=y means on by default (Debian 12's 6.1).
        expect(status(f("ro", "CONFIG_HARDENED_USERCOPY=y"), id)).toBe("pass");
        // openSUSE's 6.18: built, but off unless hardened_usercopy=1 is given.
        const suse = "CONFIG_HARDENED_USERCOPY=y\n# CONFIG_HARDENED_USERCOPY_DEFAULT_ON is not set";
        expect(byId(audit(f("ro", suse)), id)).toMatchObject({ status: "fail", observed: expect.stringContaining("CONFIG_HARDENED_USERCOPY_DEFAULT_ON is not set") });
        expect(status(f("hardened_usercopy=1", suse), id)).toBe("pass");
        expect(status(f("ro", "CONFIG_HARDENED_USERCOPY=y\nCONFIG_HARDENED_USERCOPY_DEFAULT_ON=y"), id)).toBe("pass");
        expect(status(f("hardened_usercopy=1", "# CONFIG_HARDENED_USERCOPY is not set"), id)).toBe("fail");
    });

    it("accepts randomize_kstack_offset=on or the build default", () => {
        expect(status(f("randomize_kstack_offset=on", "CONFIG_RANDOMIZE_KSTACK_OFFSET=y"), "cmdline.randomize_kstack_offset")).toBe("pass");
        expect(status(f("ro", "CONFIG_RANDOMIZE_KSTACK_OFFSET=y\nCONFIG_RANDOMIZE_KSTACK_OFFSET_DEFAULT=y"), "cmdline.randomize_kstack_offset")).toBe("pass");
        expect(status(f("randomize_kstack_offset=off", "CONFIG_RANDOMIZE_KSTACK_OFFSET=y\nCONFIG_RANDOMIZE_KSTACK_OFFSET_DEFAULT=y"), "cmdline.randomize_kstack_offset")).toBe("fail");
    });

    it("wants lockdown=integrity or confidentiality", () => {
        const k = "CONFIG_SECURITY_LOCKDOWN_LSM=y";
        expect(status(f("lockdown=integrity", k), "cmdline.lockdown")).toBe("pass");
        expect(status(f("lockdown=confidentiality", k), "cmdline.lockdown")).toBe("pass");
        expect(status(f("lockdown=none", k), "cmdline.lockdown")).toBe("fail");
        expect(status(f("lockdown=integrity", "# CONFIG_SECURITY_LOCKDOWN_LSM is not set"), "cmdline.lockdown")).toBe("fail");
    });

    it("wants pti=on without nopti, and vsyscall=none unless the build removes it", () => {
        expect(status(f("pti=on"), "cmdline.pti")).toBe("pass");
        expect(status(f("pti=on nopti"), "cmdline.pti")).toBe("fail");
        expect(status(f("vsyscall=none"), "cmdline.vsyscall")).toBe("pass");
        expect(status(f("ro", "# CONFIG_X86_VSYSCALL_EMULATION is not set"), "cmdline.vsyscall")).toBe("pass");
        expect(status(f("ro", "CONFIG_X86_VSYSCALL_EMULATION=y\nCONFIG_LEGACY_VSYSCALL_XONLY=y"), "cmdline.vsyscall")).toBe("fail");
    });

    it.each(["nokaslr", "nopti", "nosmep", "nosmap", "norandmaps", "no_hash_pointers", "sysrq_always_enabled"])("fails when %s is present", (p) => {
        expect(status(f(`ro ${p}`), `cmdline.${p}`)).toBe("fail");
        expect(status(f("ro"), `cmdline.${p}`)).toBe("pass");
    });

    it("fails on switched-off CPU mitigations", () => {
        expect(status(f("mitigations=off"), "cmdline.mitigations_off")).toBe("fail");
        expect(status(f("mitigations=off"), "cmdline.mitigations")).toBe("fail");
        expect(status(f("mitigations=auto,nosmt"), "cmdline.mitigations")).toBe("pass");
        expect(status(f("nospectre_v2"), "cmdline.nospectre_v2")).toBe("fail");
        const v2 = byId(audit(f("spectre_v2=off retbleed=auto")), "cmdline.spectre_v2");
        expect(v2).toMatchObject({ status: "fail", observed: expect.stringContaining("spectre_v2=off") });
        expect(status(f("spectre_v2=off retbleed=auto"), "cmdline.retbleed")).toBe("pass");
        expect(status(f("spectre_v2=on"), "cmdline.spectre_v2")).toBe("pass");
        expect(status(f("mitigations=auto,nosmt"), "cmdline.spectre_v2")).toBe("pass");
    });
});

describe("architecture", () => {
    it("skips x86-only parameters elsewhere and uses ARM's mmap_min_addr", () => {
        const arm = audit(debianFacts({ arch: "aarch64", sysctls: { "vm.mmap_min_addr": "65536" } }));
        expect(arm.some((x) => x.id === "cmdline.pti" || x.id === "cmdline.vsyscall")).toBe(false);
        // arm64 needs COMPAT off as well for 65536 to hold for every program (KHC's rule).
        expect(byId(arm, "sysctl.vm.mmap_min_addr")).toMatchObject({ status: "pass", expected: "65536 or more" });
        expect(status(debianFacts({ arch: "aarch64", kconfig: parseKconfig("CONFIG_COMPAT=y"), sysctls: { "vm.mmap_min_addr": "65536" } }),
            "sysctl.vm.mmap_min_addr")).toBe("fail");
        const x86 = audit(debianFacts({ sysctls: { "vm.mmap_min_addr": "32768" } }));
        expect(byId(x86, "sysctl.vm.mmap_min_addr")).toMatchObject({ status: "fail", expected: "65536 or more" });
    });

    // Was flagged on x86: kpti= is an arm64 parameter.
    it("checks kpti only on arm64", () => {
        expect(audit(debianFacts({ cmdline: "kpti=0" })).map((x) => x.id)).not.toContain("cmdline.kpti");
        expect(status(debianFacts({ arch: "aarch64", cmdline: "kpti=0" }), "cmdline.kpti")).toBe("fail");
        expect(status(debianFacts({ arch: "aarch64", cmdline: "ro" }), "cmdline.kpti")).toBe("pass");
    });
});

describe("sysctl thresholds", () => {
    const at = (key: string, v: string) =>
        status(debianFacts({ sysctls: { [key]: v, "kernel.unprivileged_userns_clone": null } }), `sysctl.${key}`);

    it("accepts both 1 and 2 for unprivileged_bpf_disabled", () => {
        expect(at("kernel.unprivileged_bpf_disabled", "1")).toBe("pass");
        expect(at("kernel.unprivileged_bpf_disabled", "2")).toBe("pass");
        expect(at("kernel.unprivileged_bpf_disabled", "0")).toBe("fail");
    });

    it("requires ptrace_scope 3 and perf_event_paranoid at least 3", () => {
        expect(at("kernel.yama.ptrace_scope", "2")).toBe("fail");
        expect(at("kernel.yama.ptrace_scope", "3")).toBe("pass");
        expect(at("kernel.perf_event_paranoid", "2")).toBe("fail");
        expect(at("kernel.perf_event_paranoid", "4")).toBe("pass");
    });

    it("trims the value and rates user namespaces low, saying what 0 breaks", () => {
        expect(at("fs.protected_fifos", " 2\n")).toBe("pass");
        const userns = byId(audit(debianFacts({ sysctls: { "user.max_user_namespaces": "15000", "kernel.unprivileged_userns_clone": null } })),
            "sysctl.user.max_user_namespaces");
        expect(userns).toMatchObject({ status: "fail", severity: "low" });
        expect(userns.why).toMatch(/containers/);
    });
});

describe("runtime", () => {
    it("passes lockdown at integrity or above", () => {
        expect(status(debianFacts({ lockdown: parseLockdown("none [integrity] confidentiality") }), "runtime.lockdown")).toBe("pass");
        expect(status(debianFacts({ lockdown: parseLockdown("none integrity [confidentiality]") }), "runtime.lockdown")).toBe("pass");
    });

    it("fails lockdown when the LSM is not active", () => {
        const f = byId(audit(debianFacts({ lockdown: null, lsms: ["capability", "apparmor"] })), "runtime.lockdown");
        expect(f).toMatchObject({ status: "fail", observed: "lockdown LSM not active (active: capability,apparmor)" });
    });

    it.each([
        [0, "pass"],
        [4096 | 1, "pass"],
        [8192, "fail"],
        [8192 | 4096 | 1, "fail"],
    ])("taint %i is %s for the unsigned-module bit", (tainted, want) => {
        const f = byId(audit(debianFacts({ tainted })), "runtime.taint.unsigned_module");
        expect(f.status).toBe(want);
        expect(f.severity).toBe("critical");
        if (want === "fail") expect(f.observed).toContain("kernel tainted by an unsigned module");
    });
});

describe("finding ids and sysctl keys", () => {
    it("are unique and stable", () => {
        const ids = audit(debianFacts()).map((x) => x.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(audit(debianFacts({ kconfig: null, cmdline: null, sysctls: {} })).map((x) => x.id)).toEqual(ids);
    });

    it("read exactly AUDIT_SYSCTL_KEYS", () => {
        const read = new Set<string>();
        const sysctls = new Proxy({} as Record<string, string | null>, {
            get: (_t, k) => {
                if (typeof k === "string") read.add(k);
                return undefined;
            },
        });
        audit(debianFacts({ sysctls }));
        expect([...read].sort()).toEqual([...AUDIT_SYSCTL_KEYS].sort());
        expect(new Set(AUDIT_SYSCTL_KEYS).size).toBe(AUDIT_SYSCTL_KEYS.length);
    });

    it("have one-line explanations", () => {
        for (const x of audit(debianFacts())) expect(x.why).not.toMatch(/\n/);
    });
});

describe("summarize and failsAtOrAbove", () => {
    const mk = (id: string, category: Finding["category"], severity: Finding["severity"], s: Finding["status"]): Finding => ({
        id, title: id, category, source: "kspp", severity, status: s, observed: null, expected: "x", why: "y", fix: "z", group: "self_protection",
    });
    const fs = [
        mk("kconfig.A", "kconfig", "high", "fail"),
        mk("kconfig.B", "kconfig", "low", "pass"),
        mk("kconfig.C", "kconfig", "medium", "unknown"),
        mk("sysctl.d", "sysctl", "critical", "fail"),
        mk("cmdline.e", "cmdline", "low", "fail"),
        mk("runtime.f", "runtime", "medium", "fail"),
    ];

    it("counts statuses and lists failing kconfig ids", () => {
        expect(summarize(fs)).toEqual({ pass: 1, fail: 4, unknown: 1, needsKernelRebuild: ["kconfig.A"] });
        expect(summarize([])).toEqual({ pass: 0, fail: 0, unknown: 0, needsKernelRebuild: [] });
    });

    it("keeps only failures at or above a severity", () => {
        expect(failsAtOrAbove(fs, "low").map((x) => x.id)).toEqual(["kconfig.A", "sysctl.d", "cmdline.e", "runtime.f"]);
        expect(failsAtOrAbove(fs, "medium").map((x) => x.id)).toEqual(["kconfig.A", "sysctl.d", "runtime.f"]);
        expect(failsAtOrAbove(fs, "high").map((x) => x.id)).toEqual(["kconfig.A", "sysctl.d"]);
        expect(failsAtOrAbove(fs, "critical").map((x) => x.id)).toEqual(["sysctl.d"]);
    });

    it("summarises the Debian audit with the post's rebuild items", () => {
        const s = summarize(audit(debianFacts()));
        expect(s.needsKernelRebuild).toEqual(
            expect.arrayContaining(["kconfig.MODULE_SIG_FORCE", "kconfig.KEXEC", "kconfig.KEXEC_SIG_FORCE", "kconfig.SECURITY_SELINUX_DEVELOP", "kconfig.RANDSTRUCT_FULL"]),
        );
        expect(s.needsKernelRebuild).not.toContain("kconfig.MODULE_SIG");
        expect(s.pass + s.fail + s.unknown).toBe(audit(debianFacts()).length);
        expect(failsAtOrAbove(audit(debianFacts()), "high").map((x) => x.id)).toContain("runtime.lockdown");
    });
});
