// The boot-configuration module and KernelCmdline's planning, as pure functions of observations.
import { detectBoot, ObservedBoot, planRemove, renderGrubDropin, reportBoot, paramsInGrubFile } from "../../provider/boot/model";
import { emptyBoot, parseBoot } from "../../provider/boot/host";
import { b64 } from "../../provider/host/records";
import { ObservedKcl } from "../../provider/resources/kernelcmdline/host";
import { diffKcl, planApply, planDelete, stateFromObservation, unverified } from "../../provider/resources/kernelcmdline/plan";
import { KernelCmdlineInputsSchema } from "../../provider/resources/kernelcmdline/model";
import { zodFailures } from "../../provider/protocol/contract";

const OWNER = "kernelhardening:index:KernelCmdline";
const NAME = "90-kernelhardening-cmdline.cfg";
const LINUX = (extra = "") => `\tlinux\t/boot/vmlinuz-6.1.0-18-cloud-amd64 root=UUID=cec5 ro console=ttyS0 net.ifnames=0${extra}`;
const SIG = { "module.sig_enforce": "1" };

function grubHost(over: Partial<ObservedBoot["grub"]> = {}, cmdline = "BOOT_IMAGE=/boot/vmlinuz root=UUID=cec5 ro console=ttyS0 net.ifnames=0"): ObservedBoot {
    const b = emptyBoot();
    b.cmdline = cmdline;
    b.grub = { defaultFile: 'GRUB_CMDLINE_LINUX="console=ttyS0 net.ifnames=0"\n', updateGrub: true, grubMkconfig: true, dropins: [{ name: "init-select.cfg", content: "" }], linuxLines: [LINUX(), LINUX()], ...over };
    return b;
}

const kcl = (boot: ObservedBoot, sig = "N"): ObservedKcl => ({ boot, live: { "module.sig_enforce": sig }, bootId: "b1", actions: [] });

describe("detect and report", () => {
    test("GRUB is preferred; /etc/kernel/cmdline otherwise; neither is an error naming both", () => {
        expect(detectBoot(grubHost(), NAME)).toEqual({ kind: "grub", path: `/etc/default/grub.d/${NAME}` });
        const ki = emptyBoot();
        ki.kernelCmdline.content = "root=x ro\n";
        expect(detectBoot(ki, NAME)).toEqual({ kind: "kernel-cmdline", path: "/etc/kernel/cmdline" });
        expect(detectBoot(emptyBoot(), NAME)).toEqual({ error: expect.stringMatching(/no GRUB configuration to regenerate and no \/etc\/kernel\/cmdline/) });
    });

    test("observation records parse (base64 fields)", () => {
        const obs = parseBoot([["cmdline", b64("ro x\n")], ["grubdropin", b64(NAME), b64("X")], ["updategrub"], ["grubcfg", b64(LINUX() + "\n")], ["ignored", "z"]]);
        expect(obs.cmdline).toBe("ro x");
        expect(obs.grub.dropins).toEqual([{ name: NAME, content: "X" }]);
        expect(obs.grub.linuxLines).toEqual([LINUX()]);
    });

    test("another drop-in that sets our parameter to another value is reported with the value the next boot sees", () => {
        const ours = renderGrubDropin(OWNER, SIG);
        const obs = grubHost({
            dropins: [
                { name: NAME, content: ours },
                { name: "99-local.cfg", content: 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX module.sig_enforce=0"\n' },
            ],
            linuxLines: [LINUX(" module.sig_enforce=1 module.sig_enforce=0")],
        });
        const rep = reportBoot(obs, { kind: "grub", path: `/etc/default/grub.d/${NAME}` }, SIG, NAME);
        expect(rep.params["module.sig_enforce"]).toEqual({ persisted: "1", nextBoot: "0", inForce: undefined });
        expect(rep.overriddenBy).toEqual([{ name: "module.sig_enforce", file: "/etc/default/grub.d/99-local.cfg", value: "0" }]);
        expect(rep.inBootEntries).toBe(true);
    });

    test("GRUB files are read as text: quotes, escapes and references", () => {
        expect(paramsInGrubFile('GRUB_CMDLINE_LINUX_DEFAULT="quiet a=\\"x y\\""\nexport GRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} b"\n# c=1\n')).toEqual([
            { variable: "GRUB_CMDLINE_LINUX_DEFAULT", name: "quiet", value: null },
            { variable: "GRUB_CMDLINE_LINUX_DEFAULT", name: "a", value: "x y" },
            { variable: "GRUB_CMDLINE_LINUX", name: "b", value: null },
        ]);
    });
});

describe("KernelCmdline plan", () => {
    const inp = (parameters: Record<string, string>, allowOneWay = false) => ({ parameters, allowOneWay });

    test("create on GRUB: write our drop-in, regenerate grub.cfg; nothing else", () => {
        const p = planApply(inp({ ...SIG, slab_nomerge: "" }), kcl(grubHost()), {});
        expect(p.steps).toEqual([
            { op: "write-dropin", name: NAME, content: renderGrubDropin(OWNER, { ...SIG, slab_nomerge: "" }) },
            { op: "update-grub" },
        ]);
        expect(renderGrubDropin(OWNER, { ...SIG, slab_nomerge: "", x: "a b" })).toMatch(/^GRUB_CMDLINE_LINUX="\$GRUB_CMDLINE_LINUX module\.sig_enforce=1 slab_nomerge x=\\"a b\\""$/m);
    });

    test("converged: no steps; persisted but not running is pending a reboot", () => {
        const obs = kcl(grubHost({ dropins: [{ name: NAME, content: renderGrubDropin(OWNER, SIG) }], linuxLines: [LINUX(" module.sig_enforce=1")] }));
        expect(planApply(inp(SIG), obs, { parameters: SIG }).steps).toEqual([]);
        const st = stateFromObservation(SIG, obs, {});
        expect(st).toMatchObject({ persisted: SIG, nextBoot: SIG, inForce: {}, pendingReboot: ["module.sig_enforce"], rebootRequired: true, live: { "module.sig_enforce": "0" } });
        expect(unverified(inp(SIG), st)).toEqual([]);
    });

    test("after the reboot nothing is pending; live opt-in counts a live value as in force", () => {
        const after = kcl(grubHost({ dropins: [{ name: NAME, content: renderGrubDropin(OWNER, SIG) }], linuxLines: [LINUX(" module.sig_enforce=1")] }, "BOOT_IMAGE=/v ro module.sig_enforce=1"), "Y");
        const st = stateFromObservation(SIG, after, {});
        expect(st).toMatchObject({ inForce: SIG, pendingReboot: [], rebootRequired: false });
        const liveOnly = kcl(grubHost({ dropins: [{ name: NAME, content: renderGrubDropin(OWNER, SIG) }], linuxLines: [LINUX(" module.sig_enforce=1")] }), "Y");
        expect(stateFromObservation(SIG, liveOnly, {}).rebootRequired).toBe(false);
    });

    test("allowOneWay raises sig_enforce live (only when it is off)", () => {
        expect(planApply(inp(SIG, true), kcl(grubHost()), {}).steps).toContainEqual({ op: "live-sig-enforce" });
        expect(planApply(inp(SIG, true), kcl(grubHost(), "Y"), {}).steps).not.toContainEqual({ op: "live-sig-enforce" });
        expect(planApply(inp(SIG, false), kcl(grubHost()), {}).steps).not.toContainEqual({ op: "live-sig-enforce" });
        const noSysfs = kcl(grubHost());
        noSysfs.live = {};
        expect(() => planApply(inp(SIG, true), noSysfs, {})).toThrow(/sig_enforce does not exist/);
    });

    test("drift: grub.cfg regenerated by hand without our drop-in plans a write and update-grub, and diff shows it", () => {
        const obs = kcl(grubHost());
        const st = stateFromObservation(SIG, obs, {});
        expect(st.persisted).toEqual({});
        expect(diffKcl({ parameters: SIG, persisted: st.persisted, persistedContent: null, live: st.live, host: "h", port: 22 }, { ...inp(SIG), host: "h", port: 22 })).toEqual([
            { path: 'persisted["module.sig_enforce"]', kind: "add" },
        ]);
        // our drop-in present, but grub.cfg not regenerated: update-grub only
        const stale = kcl(grubHost({ dropins: [{ name: NAME, content: renderGrubDropin(OWNER, SIG) }] }));
        expect(planApply(inp(SIG), stale, {}).steps).toEqual([{ op: "update-grub" }]);
    });

    test("kernel-install hosts: our tokens in /etc/kernel/cmdline, others kept, bls entry regenerated; delete restores what was there", () => {
        const b = emptyBoot();
        b.kernelCmdline = { content: "root=UUID=x ro module.sig_enforce=0 quiet\n", kernelInstall: true, layout: "bls", entries: [{ path: "/boot/loader/entries/a.conf", options: "root=UUID=x ro module.sig_enforce=0 quiet" }] };
        const p = planApply(inp({ ...SIG, slab_nomerge: "" }), kcl(b), {});
        expect(p.steps).toEqual([
            { op: "write-kcmdline", content: "root=UUID=x ro module.sig_enforce=1 quiet slab_nomerge\n", expect: "root=UUID=x ro module.sig_enforce=0 quiet\n" },
            { op: "kernel-install" },
        ]);
        expect(p.previousValues).toEqual({ "module.sig_enforce": "0", slab_nomerge: null });
        b.kernelCmdline.content = "root=UUID=x ro module.sig_enforce=1 quiet slab_nomerge\n";
        expect(planDelete(kcl(b), { ...SIG, slab_nomerge: "" }, p.previousValues)).toEqual([
            { op: "write-kcmdline", content: "root=UUID=x ro module.sig_enforce=0 quiet\n", expect: "root=UUID=x ro module.sig_enforce=1 quiet slab_nomerge\n" },
            { op: "kernel-install" },
        ]);
    });

    test("delete on GRUB removes only our drop-in", () => {
        const obs = kcl(grubHost({ dropins: [{ name: "init-select.cfg", content: "" }, { name: NAME, content: "x" }] }));
        expect(planDelete(obs, SIG, {})).toEqual([{ op: "remove-dropin", name: NAME }, { op: "update-grub" }]);
        expect(planRemove(grubHost(), NAME, ["a"], {})).toEqual([]);
    });
});

describe("KernelCmdline check", () => {
    const conn = { host: "h" };
    const fail = (parameters: unknown) => {
        const r = KernelCmdlineInputsSchema.safeParse({ connection: conn, parameters });
        return r.success ? [] : zodFailures(r.error.issues).map((f) => f.reason);
    };
    test("bad names and values fail naming the parameter", () => {
        expect(fail({ "--": "" })[0]).toMatch(/^parameters\["--"\]: "--" is not a kernel parameter name/);
        expect(fail({ a: 'x" b=1' })[0]).toMatch(/^parameters\.a: must not contain "\\""/);
        expect(fail({ lockdown: "integrity" })[0]).toMatch(/lockdown is managed by the Lockdown resource/);
        expect(fail({ "a-b": "1", a_b: "2" })[0]).toMatch(/names the same parameter as "a-b"/);
        expect(fail({})[0]).toMatch(/at least one parameter/);
        expect(fail({ "module.sig_enforce": 1, slab_nomerge: "" })).toEqual([]);
    });
});
