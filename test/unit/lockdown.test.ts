import {
    cmdlineTokens,
    lockdownParam,
    LockdownInputsSchema,
    modeInDropin,
    modeInUnit,
    parseLockdownFile,
    parseLsmList,
    renderGrubDropin,
    renderUnit,
    setLockdownParam,
} from "../../provider/resources/lockdown/model";
import {
    choosePersistence,
    diffLockdown,
    driftWarning,
    kernelSupport,
    persistedState,
    planApply,
    planDelete,
    rebootWarning,
    stateFromObservation,
    unverified,
} from "../../provider/resources/lockdown/plan";
import { ObservedLockdown, Step } from "../../provider/resources/lockdown/model";
import { lockdownResource } from "../../provider/resources/lockdown/resource";
import { zodFailures } from "../../provider/protocol/contract";

const DROPIN = "/etc/default/grub.d/90-kernelhardening-lockdown.cfg";
const UNIT = "/etc/systemd/system/kernelhardening-lockdown.service";
const LINUX = "\tlinux\t/boot/vmlinuz-6.1.0-18-cloud-amd64 root=UUID=cec5 ro console=ttyS0 net.ifnames=0";

/** The post's Debian 12 cloud VM as observed: GRUB configured, lockdown none, nothing of ours yet. */
function debian(over: Partial<ObservedLockdown> = {}, level = "[none] integrity confidentiality"): ObservedLockdown {
    return {
        kernelRelease: "6.1.0-18-cloud-amd64",
        securityfs: "mounted",
        lockdownFile: `${level}\n`,
        lsmFile: "lockdown,capability,landlock,yama,apparmor,tomoyo,bpf",
        peekError: null,
        cmdline: "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-cloud-amd64 root=UUID=cec5 ro console=ttyS0 net.ifnames=0",
        grub: { defaultFile: true, updateGrub: true, grubMkconfig: true, dropin: null, linuxLines: [LINUX, LINUX + " single"] },
        kernelCmdline: { content: null, kernelInstall: true, layout: "other", entries: [] },
        unit: { content: null, link: null },
        systemd: true,
        actions: [],
        ...over,
    };
}

/** Debian after our drop-in went in and update-grub ran. */
const IN_FORCE = { integrity: "none [integrity] confidentiality", confidentiality: "none integrity [confidentiality]" };

function grubDone(mode: "integrity" | "confidentiality", level = IN_FORCE[mode]): ObservedLockdown {
    return debian(
        { grub: { defaultFile: true, updateGrub: true, grubMkconfig: true, dropin: renderGrubDropin(mode), linuxLines: [`${LINUX} lockdown=${mode}`, `${LINUX} single lockdown=${mode}`] } },
        level,
    );
}

const ops = (steps: Step[]) => steps.map((s) => ("target" in s ? `${s.op}:${s.target}` : s.op));

describe("the lockdown file", () => {
    test.each([
        ["[none] integrity confidentiality\n", "none"],
        ["none [integrity] confidentiality", "integrity"],
        ["none integrity [confidentiality]", "confidentiality"],
    ])("%j is in force at %s", (text, current) => {
        expect(parseLockdownFile(text)).toEqual({ current, available: ["none", "integrity", "confidentiality"] });
    });

    test.each(["", "none integrity confidentiality", "[none] [integrity]", "[none] paranoid", "[sometimes]"])("%j is not a lockdown file", (text) => {
        expect(parseLockdownFile(text)).toBeNull();
    });

    test("the LSM list splits on commas", () => {
        expect(parseLsmList("lockdown,capability,yama\n")).toEqual(["lockdown", "capability", "yama"]);
        expect(parseLsmList("")).toEqual([]);
    });
});

describe("check", () => {
    const base = { connection: { host: "10.0.0.1" }, mode: "integrity" };

    function failures(input: unknown) {
        const r = LockdownInputsSchema.safeParse(input);
        return r.success ? [] : zodFailures(r.error.issues);
    }

    test("defaults previewReadsHost and the connection", () => {
        const r = LockdownInputsSchema.parse(base);
        expect(r.previewReadsHost).toBe(true);
        expect(r.connection).toMatchObject({ host: "10.0.0.1", port: 22, user: "root" });
    });

    test("names the property of every bad input", () => {
        expect(failures({ ...base, mode: "none" })).toEqual([
            {
                property: "mode",
                reason: 'mode: must be "integrity" or "confidentiality" (the kernel cannot be set to "none" at run time: delete the resource and reboot instead)',
            },
        ]);
        expect(failures({ ...base, mode: "integrity\nconfidentiality" })[0].property).toBe("mode");
        expect(failures({ connection: base.connection })[0].property).toBe("mode");
        expect(failures({ ...base, previewReadsHost: "yes" })[0].property).toBe("previewReadsHost");
        expect(failures({ ...base, connection: { host: "h; reboot" } })[0].property).toBe("connection.host");
        expect(failures({ ...base, lockdown: "integrity" })[0].reason).toMatch(/Unrecognized key/);
    });

    test("the handler's check reports failures and leaves unknown values for later", async () => {
        expect((await lockdownResource.check({ ...base, mode: "paranoid" }, new Set(), {})).failures[0].property).toBe("mode");
        const r = await lockdownResource.check({ connection: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", mode: "integrity" }, new Set(["connection"]), {});
        expect(r.failures).toEqual([]);
    });
});

describe("what the kernel supports", () => {
    test("the Debian cloud kernel has lockdown at none", () => {
        expect(kernelSupport(debian())).toEqual({
            current: "none",
            available: ["none", "integrity", "confidentiality"],
            lsms: ["lockdown", "capability", "landlock", "yama", "apparmor", "tomoyo", "bpf"],
            needsMount: false,
        });
    });

    test("securityfs built in but not mounted: read in a private namespace, the apply mounts it", () => {
        expect(kernelSupport(debian({ securityfs: "unmounted" }))).toMatchObject({ current: "none", needsMount: true });
        expect(ops(planApply("integrity", debian({ securityfs: "unmounted" }), { previousCmdlineValue: null }).steps).slice(0, 2)).toEqual(["mount", "raise"]);
    });

    test("each missing piece is a clear error that says which", () => {
        expect(kernelSupport(debian({ securityfs: "unsupported", lockdownFile: null, lsmFile: null }))).toEqual({
            error: "the kernel 6.1.0-18-cloud-amd64 has no securityfs (CONFIG_SECURITYFS), so its lockdown level cannot be read or set at run time",
        });
        expect((kernelSupport(debian({ lsmFile: "capability,yama,apparmor", lockdownFile: null })) as { error: string }).error).toMatch(
            /^the kernel 6\.1\.0-18-cloud-amd64 has no Lockdown LSM \(active LSMs: capability,yama,apparmor\): it needs CONFIG_SECURITY_LOCKDOWN_LSM=y/,
        );
        // The LSM list is what the kernel enabled, even if something shows a lockdown file.
        expect(kernelSupport(debian({ lsmFile: "capability,yama" }))).toHaveProperty("error");
        expect((kernelSupport(debian({ securityfs: "unmounted", lockdownFile: null, lsmFile: null, peekError: "unshare: Operation not permitted" })) as { error: string }).error).toMatch(
            /^securityfs is not mounted at \/sys\/kernel\/security and could not be read in a private mount namespace \(unshare: Operation not permitted\); mount it with/,
        );
        expect(kernelSupport(debian({}, "[none] integrity [confidentiality]"))).toHaveProperty("error");
        expect(() => planApply("integrity", debian({ lsmFile: "capability" }), { previousCmdlineValue: null })).toThrow(/has no Lockdown LSM/);
        expect(() => planApply("confidentiality", debian({}, "[none] integrity"), { previousCmdlineValue: null })).toThrow(/does not offer lockdown level confidentiality/);
    });
});

describe("plan: raise, no-op, lower", () => {
    test("below the goal: raise live, write the drop-in, regenerate grub.cfg", () => {
        const plan = planApply("integrity", debian(), { previousCmdlineValue: null });
        expect(plan.steps).toEqual([
            { op: "raise", level: "integrity" },
            { op: "write", target: "dropin", content: renderGrubDropin("integrity") },
            { op: "update-grub" },
        ]);
        expect(plan.lowerNeedsReboot).toBe(false);
    });

    test("converged: nothing to do, so no write the kernel would refuse", () => {
        expect(planApply("integrity", grubDone("integrity"), { previousCmdlineValue: null }).steps).toEqual([]);
        // Already above with integrity persisted: still nothing, and no raise.
        expect(planApply("integrity", grubDone("integrity", "none integrity [confidentiality]"), { previousCmdlineValue: null }).steps).toEqual([]);
    });

    test("live level at the goal but persistence gone: only the persistence", () => {
        const obs = debian({}, "none [integrity] confidentiality");
        expect(ops(planApply("integrity", obs, { previousCmdlineValue: null }).steps)).toEqual(["write:dropin", "update-grub"]);
        // Drop-in right but grub.cfg not regenerated since: update-grub only.
        const stale = grubDone("integrity");
        stale.grub.linuxLines = [LINUX];
        expect(ops(planApply("integrity", stale, { previousCmdlineValue: null }).steps)).toEqual(["update-grub"]);
    });

    test("lower than live: no raise, only the persistence changes, and a reboot is required", () => {
        const obs = grubDone("confidentiality", "none integrity [confidentiality]");
        const plan = planApply("integrity", obs, { previousCmdlineValue: null });
        expect(plan.lowerNeedsReboot).toBe(true);
        expect(ops(plan.steps)).toEqual(["write:dropin", "update-grub"]);
        const after = grubDone("integrity", "none integrity [confidentiality]");
        const st = stateFromObservation("integrity", after, null);
        expect(st).toMatchObject({ mode: "integrity", currentLevel: "confidentiality", persistedMode: "integrity", rebootRequired: true });
        expect(unverified("integrity", st)).toEqual([]);
        expect(rebootWarning("confidentiality", "integrity", DROPIN)).toBe(
            `lockdown is confidentiality now and the kernel can only raise it: it stays confidentiality until the next reboot, which starts at integrity (only ${DROPIN} changes now; rebootRequired is true)`,
        );
        expect(rebootWarning("integrity", "integrity", DROPIN)).toBeUndefined();
        expect(rebootWarning("none", "integrity", DROPIN)).toBeUndefined();
    });

    test("a raise to confidentiality from integrity", () => {
        expect(ops(planApply("confidentiality", grubDone("integrity"), { previousCmdlineValue: null }).steps)).toEqual(["raise", "write:dropin", "update-grub"]);
    });
});

describe("persistence choice", () => {
    const noGrub = { defaultFile: false, updateGrub: false, grubMkconfig: false, dropin: null, linuxLines: null };

    test("GRUB when /etc/default/grub or update-grub exists and grub.cfg can be regenerated", () => {
        expect(choosePersistence(debian())).toEqual({ persistence: "grub", path: DROPIN });
        expect(choosePersistence(debian({ grub: { ...noGrub, updateGrub: true } }))).toEqual({ persistence: "grub", path: DROPIN });
        expect(choosePersistence(debian({ grub: { ...noGrub, defaultFile: true, grubMkconfig: true } }))).toEqual({ persistence: "grub", path: DROPIN });
    });

    test("/etc/kernel/cmdline on kernel-install hosts without GRUB", () => {
        const obs = debian({ grub: noGrub, kernelCmdline: { content: "root=UUID=x ro\n", kernelInstall: true, layout: "bls", entries: [] } });
        expect(choosePersistence(obs)).toEqual({ persistence: "kernel-cmdline", path: "/etc/kernel/cmdline" });
        // GRUB config without a generator (e.g. grub2-mkconfig only) is not usable.
        expect(choosePersistence({ ...obs, grub: { ...noGrub, defaultFile: true } })).toMatchObject({ persistence: "kernel-cmdline" });
    });

    test("otherwise a boot-time systemd unit, else an error", () => {
        expect(choosePersistence(debian({ grub: noGrub }))).toEqual({ persistence: "systemd-unit", path: UNIT });
        expect(choosePersistence(debian({ grub: { ...noGrub, defaultFile: true }, systemd: false }))).toEqual({
            error: "cannot persist lockdown on this host: no GRUB configuration to regenerate (/etc/default/grub exists, but neither update-grub nor grub-mkconfig), no /etc/kernel/cmdline, and systemd is not running",
        });
    });

    test("the unit: written, enabled, systemd reloaded; then nothing", () => {
        const obs = debian({ grub: noGrub });
        expect(planApply("integrity", obs, { previousCmdlineValue: null }).steps).toEqual([
            { op: "raise", level: "integrity" },
            { op: "write", target: "unit", content: renderUnit("integrity") },
            { op: "enable" },
            { op: "daemon-reload" },
        ]);
        const done = debian({ grub: noGrub, unit: { content: renderUnit("integrity"), link: UNIT } }, "none [integrity] confidentiality");
        expect(planApply("integrity", done, { previousCmdlineValue: null }).steps).toEqual([]);
        expect(persistedState("systemd-unit", done).mode).toBe("integrity");
        // Not enabled: persists nothing.
        expect(persistedState("systemd-unit", { ...done, unit: { content: renderUnit("integrity"), link: null } }).mode).toBeNull();
        expect(persistedState("systemd-unit", { ...done, unit: { content: renderUnit("integrity"), link: "../kernelhardening-lockdown.service" } }).mode).toBe("integrity");
    });

    test("a host that gained GRUB moves the persistence there and removes the unit", () => {
        const obs = debian({ unit: { content: renderUnit("integrity"), link: UNIT } }, "none [integrity] confidentiality");
        expect(ops(planApply("integrity", obs, { persistence: "systemd-unit", previousCmdlineValue: null }).steps)).toEqual([
            "remove:unitlink",
            "remove:unit",
            "daemon-reload",
            "write:dropin",
            "update-grub",
        ]);
    });
});

describe("file contents", () => {
    test("the GRUB drop-in appends to GRUB_CMDLINE_LINUX and reads back", () => {
        expect(renderGrubDropin("integrity")).toBe(
            "# Managed by Pulumi (kernelhardening:index:Lockdown). Removed when the resource is deleted;\n" +
                "# run update-grub after editing it by hand.\n" +
                'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX lockdown=integrity"\n',
        );
        expect(modeInDropin(renderGrubDropin("confidentiality"))).toBe("confidentiality");
        expect(modeInDropin('# lockdown=integrity\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX"\n')).toBeNull();
        expect(modeInDropin('GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX lockdown=bogus"\n')).toBeNull();
    });

    test("the unit writes the level only when it is not already in force, and reads back", () => {
        const integrity = renderUnit("integrity");
        expect(integrity).toContain(
            `ExecStart=/bin/sh -c 'case "$$(cat /sys/kernel/security/lockdown)" in *"[integrity]"*|*"[confidentiality]"*) ;; *) echo integrity > /sys/kernel/security/lockdown ;; esac'`,
        );
        expect(integrity).toMatch(/^DefaultDependencies=no$/m);
        expect(integrity).toMatch(/^Before=sysinit\.target systemd-modules-load\.service$/m);
        expect(integrity).toMatch(/^WantedBy=sysinit\.target$/m);
        expect(renderUnit("confidentiality")).toContain(`in *"[confidentiality]"*) ;; *) echo confidentiality >`);
        expect(modeInUnit(integrity)).toBe("integrity");
        expect(modeInUnit("[Service]\nExecStart=/bin/true\n")).toBeNull();
    });

    test("the drop-in counts only once every kernel line of grub.cfg carries the token", () => {
        expect(persistedState("grub", grubDone("integrity"))).toEqual({ mode: "integrity", content: renderGrubDropin("integrity") });
        const partial = grubDone("integrity");
        partial.grub.linuxLines = [`${LINUX} lockdown=integrity`, LINUX];
        expect(persistedState("grub", partial).mode).toBeNull();
        expect(persistedState("grub", { ...partial, grub: { ...partial.grub, linuxLines: null } }).mode).toBeNull();
        expect(persistedState("grub", debian()).mode).toBeNull();
    });
});

describe("/etc/kernel/cmdline token edit", () => {
    test("replaces the lockdown= token in place and keeps every other byte", () => {
        expect(setLockdownParam("root=UUID=x ro  quiet lockdown=none foo=\"a b\"\n", "integrity")).toBe("root=UUID=x ro  quiet lockdown=integrity foo=\"a b\"\n");
        expect(setLockdownParam("lockdown=none quiet\n", "confidentiality")).toBe("lockdown=confidentiality quiet\n");
    });

    test("appends when absent, before init's arguments after --", () => {
        expect(setLockdownParam("root=UUID=x ro quiet\n", "integrity")).toBe("root=UUID=x ro quiet lockdown=integrity\n");
        expect(setLockdownParam("root=UUID=x ro -- single\n", "integrity")).toBe("root=UUID=x ro lockdown=integrity -- single\n");
        expect(setLockdownParam("root=UUID=x ro", "integrity")).toBe("root=UUID=x ro lockdown=integrity");
        expect(setLockdownParam("", "integrity")).toBe("lockdown=integrity\n");
        // A lockdown= after -- belongs to init, not to the kernel.
        expect(setLockdownParam("ro -- lockdown=none\n", "integrity")).toBe("ro lockdown=integrity -- lockdown=none\n");
    });

    test("keeps one token and removes duplicates; null removes it", () => {
        expect(setLockdownParam("a lockdown=none b lockdown=integrity c\n", "confidentiality")).toBe("a lockdown=confidentiality b c\n");
        expect(setLockdownParam("root=x lockdown=integrity quiet\n", null)).toBe("root=x quiet\n");
        expect(setLockdownParam("lockdown=integrity quiet\n", null)).toBe("quiet\n");
        expect(setLockdownParam("root=x quiet\n", null)).toBe("root=x quiet\n");
    });

    test("tokens follow the kernel's quoting; the last lockdown= is read", () => {
        expect(cmdlineTokens('a="x lockdown=none" lockdown=integrity').tokens.map((t) => t.name)).toEqual(["a", "lockdown"]);
        expect(setLockdownParam('a="x lockdown=none" b\n', "integrity")).toBe('a="x lockdown=none" b lockdown=integrity\n');
        expect(lockdownParam("BOOT_IMAGE=/vmlinuz ro lockdown=integrity")).toBe("integrity");
        expect(lockdownParam("ro")).toBeNull();
    });

    test("the plan edits only the token, guards the content it read, and regenerates bls entries", () => {
        const content = "root=UUID=x ro quiet lockdown=none\n";
        const obs = debian({
            grub: { defaultFile: false, updateGrub: false, grubMkconfig: false, dropin: null, linuxLines: null },
            kernelCmdline: { content, kernelInstall: true, layout: "bls", entries: [{ path: "/boot/loader/entries/x.conf", options: "root=UUID=x ro quiet" }] },
        });
        const plan = planApply("integrity", obs, { previousCmdlineValue: null });
        expect(plan.steps).toEqual([
            { op: "raise", level: "integrity" },
            { op: "write", target: "kcmdline", content: "root=UUID=x ro quiet lockdown=integrity\n", expect: content },
            { op: "kernel-install" },
        ]);
        expect(plan.previousCmdlineValue).toBe("none");
        // Delete gives back what was there before.
        const after = { ...obs, kernelCmdline: { ...obs.kernelCmdline, content: "root=UUID=x ro quiet lockdown=integrity\n" } };
        expect(planDelete(after, { persistence: "kernel-cmdline", previousCmdlineValue: "none" })).toEqual([
            { op: "write", target: "kcmdline", content, expect: "root=UUID=x ro quiet lockdown=integrity\n" },
            { op: "kernel-install" },
        ]);
        // The entry lacks the token until kernel-install runs: not yet persisted.
        expect(persistedState("kernel-cmdline", after).mode).toBeNull();
    });
});

describe("state and diff", () => {
    const at = { host: "h", port: 22 };

    test("mode shows the live level when it is lower, then the persisted one", () => {
        // After a reboot without the persistence: live none, drop-in gone.
        expect(stateFromObservation("integrity", debian(), null)).toMatchObject({ mode: "none", currentLevel: "none", persistedMode: null, rebootRequired: false });
        // Live right, drop-in removed by hand.
        expect(stateFromObservation("integrity", debian({}, "none [integrity] confidentiality"), null)).toMatchObject({ mode: "none", currentLevel: "integrity", persistedMode: null });
        // Live right, persisted at another level.
        expect(stateFromObservation("confidentiality", grubDone("integrity", "none integrity [confidentiality]"), null)).toMatchObject({ mode: "integrity" });
        expect(stateFromObservation("integrity", grubDone("integrity"), null)).toMatchObject({
            mode: "integrity",
            currentLevel: "integrity",
            persistence: "grub",
            persistedIn: DROPIN,
            securityfsMounted: true,
            previousCmdlineValue: null,
        });
    });

    test("diff names what changes; the host replaces", () => {
        const rec = { mode: "integrity" as const, persistence: "grub" as const, persistedContent: renderGrubDropin("integrity"), ...at };
        expect(diffLockdown(rec, { mode: "integrity", ...at })).toEqual([]);
        expect(diffLockdown(rec, { mode: "confidentiality", ...at })).toEqual([{ path: "mode", kind: "update" }]);
        expect(diffLockdown({ ...rec, mode: "none" }, { mode: "integrity", ...at })).toEqual([{ path: "mode", kind: "update" }]);
        expect(diffLockdown({ ...rec, persistedContent: renderGrubDropin("integrity") + "# note\n" }, { mode: "integrity", ...at })).toEqual([
            { path: "persistedContent", kind: "update" },
        ]);
        expect(diffLockdown(rec, { mode: "integrity", host: "h2", port: 22 })).toEqual([{ path: "connection.host", kind: "update", replace: true }]);
        // /etc/kernel/cmdline is the user's file: other edits there are not ours to diff.
        expect(diffLockdown({ ...rec, persistence: "kernel-cmdline", persistedContent: "anything" }, { mode: "integrity", ...at })).toEqual([]);
    });

    test("drift explains itself", () => {
        expect(driftWarning({ currentLevel: "none", persistedMode: null, persistedIn: DROPIN }, "integrity")).toMatch(/^lockdown is none now, below integrity/);
        expect(driftWarning({ currentLevel: "integrity", persistedMode: null, persistedIn: DROPIN }, "integrity")).toBe(
            `${DROPIN} does not give the next boot lockdown=integrity (found: nothing); \`pulumi up\` restores it`,
        );
        expect(driftWarning({ currentLevel: "integrity", persistedMode: "integrity", persistedIn: DROPIN }, "integrity")).toBeUndefined();
    });

    test("delete removes only what is ours and warns the level stays", () => {
        expect(planDelete(grubDone("integrity"), { persistence: "grub", previousCmdlineValue: null })).toEqual([{ op: "remove", target: "dropin" }, { op: "update-grub" }]);
        expect(ops(planDelete(debian({ unit: { content: renderUnit("integrity"), link: UNIT } }), { persistence: "systemd-unit", previousCmdlineValue: null }))).toEqual([
            "remove:unitlink",
            "remove:unit",
            "daemon-reload",
        ]);
        // A user's own lockdown= in /etc/kernel/cmdline is not touched when we did not persist there.
        expect(planDelete(debian({ kernelCmdline: { content: "ro lockdown=integrity\n", kernelInstall: false, layout: null, entries: [] } }), { persistence: "grub", previousCmdlineValue: null })).toEqual([]);
        expect(rebootWarning("integrity", "none", DROPIN)).toBe(
            `lockdown is integrity now and the kernel can only raise it: it stays integrity until the next reboot; ${DROPIN} no longer gives that boot a lockdown level`,
        );
        expect(rebootWarning("none", "none", DROPIN)).toBeUndefined();
    });
});

test("delete needs only the connection: state whose mode a refresh set to the level found (none) can still be deleted", async () => {
    // A port nothing listens on: delete must get as far as dialling, not stop at validating `mode`.
    const srv = require("net").createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = srv.address().port;
    await new Promise((r) => srv.close(r));
    const outputs = { connection: { host: "127.0.0.1", port, user: "root", password: "x", insecureIgnoreHostKey: true, dialErrorLimit: 1, perDialTimeout: 2 }, mode: "none", persistence: "grub" };
    const ctx = { warn: () => undefined, info: () => undefined, preview: false };
    await expect(lockdownResource.delete(ctx, { id: "x", outputs })).rejects.toThrow(/127\.0\.0\.1:\d+: connection refused/);
});
