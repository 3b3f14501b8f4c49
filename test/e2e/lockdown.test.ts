// Lockdown end to end: the real Pulumi CLI, the provider plugin and a Debian 12 VM over SSH. The first
// test is the Cloudflare post's demonstration: an unsigned module loads on the stock kernel until
// Lockdown is raised to integrity. The reboots are in lockdown-reboot.test.ts, on a VM of their own
// (the shared one is restored from its snapshot between tests, which is not a boot).
import { existsSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { connectionFor, sh, sshExec, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm, setResources } from "./shared";
import { DROPIN, exists as existsOn, grubLinuxLines as grubLinuxLinesOf, level as levelOf, lockdown, TOKEN, UNIT } from "./lockdown-helpers";

jest.setTimeout(600_000);

const SIG_MAGIC = Buffer.from("~Module signature appended~\n");
const TAINT_UNSIGNED_MODULE = 8192; // bit 13

let vm: VmState;
let stack: Stack | undefined;

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

const level = () => levelOf(vm);
const exists = (path: string) => existsOn(path, vm);
const grubLinuxLines = () => grubLinuxLinesOf(vm);

/** Strips the appended signature: [module][PKCS#7 sig][12-byte struct module_signature, sig_len BE last][magic]. */
function stripSignature(ko: Buffer): Buffer {
    if (!ko.subarray(ko.length - SIG_MAGIC.length).equals(SIG_MAGIC)) throw new Error("module is not signed");
    const sigLen = ko.readUInt32BE(ko.length - SIG_MAGIC.length - 4);
    return ko.subarray(0, ko.length - SIG_MAGIC.length - 12 - sigLen);
}

/**
 * A module shipped with the VM's kernel that is not loaded and has no dependencies (nls codepages
 * first: small and inert), and an unsigned copy of it in /root.
 */
async function unsignedModule(): Promise<{ name: string; path: string; unsigned: string }> {
    const found = (
        await sh(
            vm,
            `cd /lib/modules/$(uname -r)/kernel && for f in fs/nls/nls_cp*.ko* $(find . -name '*.ko*' | sort); do
               n=$(basename "$f" | sed 's/\\.ko.*//' | tr - _)
               grep -q "^$n " /proc/modules && continue
               [ -z "$(modinfo -F depends "$f")" ] || continue
               echo "$n $PWD/$f"; break
             done`,
        )
    ).trim();
    const [name, path] = found.split(" ");
    expect(path).toMatch(/\.ko(\.xz|\.zst)?$/);
    const raw = await sh(vm, `case ${path} in *.xz) xz -dc ${path} ;; *.zst) zstd -dc ${path} ;; *) cat ${path} ;; esac | base64 -w0`);
    const signed = Buffer.from(raw, "base64");
    const unsigned = stripSignature(signed);
    expect(unsigned.length).toBeLessThan(signed.length - 40);
    await sh(vm, "base64 -d > /root/unsigned.ko", { stdin: unsigned.toString("base64") });
    // The copy carries no signature any more; the original does.
    expect(await sh(vm, "tail -c 28 /root/unsigned.ko | grep -c 'Module signature appended' || true")).toBe("0\n");
    return { name, path, unsigned: "/root/unsigned.ko" };
}

describe("on the shared VM", () => {
    beforeEach(async () => {
        vm = await pristineVm();
    });

    test("the post's demonstration: an unsigned module loads until up raises lockdown to integrity; then only signed ones load", async () => {
        expect(await level()).toBe("none");
        const mod = await unsignedModule();

        // 1. The stock kernel does not enforce signatures: it takes the unsigned module and is tainted.
        const taintedBefore = Number(await sh(vm, "cat /proc/sys/kernel/tainted"));
        expect(taintedBefore & TAINT_UNSIGNED_MODULE).toBe(0);
        const loaded = await sshExec(vm, `insmod ${mod.unsigned}`);
        expect(loaded.code).toBe(0);
        expect(Number(await sh(vm, "cat /proc/sys/kernel/tainted")) & TAINT_UNSIGNED_MODULE).toBe(TAINT_UNSIGNED_MODULE);
        expect(await sh(vm, "dmesg | tail -n 20")).toMatch(new RegExp(`${mod.name}: module verification failed: signature and/or required key missing`));
        await sh(vm, `rmmod ${mod.name}`);

        // 2. pulumi up with mode: integrity (round trips counted).
        const trace = join(tmpdir(), `kh-lockdown-trace-${process.pid}.jsonl`);
        rmSync(trace, { force: true });
        const ops = () => (existsSync(trace) ? readFileSync(trace, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).op).filter((op) => op !== "cancel") : []);
        stack = await newStack(connectionFor(vm), [lockdown("integrity")], { KH_TRACE_FILE: trace });
        const up = await stack.up();
        expect(up.code).toBe(0);
        expect(up.output).toMatch(/\+ 2 created/);
        expect(ops()).toEqual(["lockdown.observe", "lockdown.apply"]);
        expect(await level()).toBe("integrity");

        const refused = await sshExec(vm, `insmod ${mod.unsigned}`);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toMatch(/could not insert module \/root\/unsigned\.ko: Operation not permitted/);
        expect(await sh(vm, "dmesg | tail -n 5")).toMatch(/Lockdown: insmod: unsigned module loading is restricted/);
        expect(await sh(vm, "cat /proc/modules")).not.toMatch(new RegExp(`^${mod.name} `, "m"));
        // The original, signed by Debian's key built into the kernel, still loads.
        await sh(vm, `modprobe ${mod.name} && grep -q '^${mod.name} ' /proc/modules && rmmod ${mod.name}`);

        // Persisted through the guest's GRUB configuration, existing parameters kept.
        expect(await sh(vm, `cat ${DROPIN}`)).toBe(
            "# Managed by Pulumi (kernelhardening:index:Lockdown). Removed when the resource is deleted;\n" +
                "# run update-grub after editing it by hand.\n" +
                'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX lockdown=integrity"\n',
        );
        expect(await sh(vm, `stat -c '%a %U %G' ${DROPIN}`)).toBe("644 root root\n");
        expect(await sh(vm, "ls -a /etc/default/grub.d")).toMatch(/init-select\.cfg/);
        expect(await sh(vm, "ls -a /etc/default/grub.d")).not.toMatch(/kh-/);
        for (const line of await grubLinuxLines()) expect(line).toMatch(/ console=ttyS0 net\.ifnames=0 .*lockdown=integrity\b/);

        const outs = await stack.outputsOf(TOKEN, "lockdown");
        expect(outs).toMatchObject({
            mode: "integrity",
            currentLevel: "integrity",
            persistence: "grub",
            persistedIn: DROPIN,
            persistedMode: "integrity",
            rebootRequired: false,
            securityfsMounted: true,
            cmdline: "root=/dev/vda rw console=ttyS0 net.ifnames=0",
        });
        expect(outs.lsms).toContain("lockdown");

        // A second up changes nothing, writes nothing and never writes the level (the kernel would refuse it).
        const mtime = await sh(vm, "stat -c %Y.%y /boot/grub/grub.cfg " + DROPIN);
        rmSync(trace, { force: true });
        const again = await stack.up();
        expect(again.code).toBe(0);
        expect(again.output).not.toMatch(/updated|created|deleted/);
        expect(ops()).toEqual(["lockdown.observe"]);
        expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
        expect(await sh(vm, "stat -c %Y.%y /boot/grub/grub.cfg " + DROPIN)).toBe(mtime);
    });

    test("asking for less than the live level warns, changes only the persistence and reports rebootRequired", async () => {
        stack = await newStack(connectionFor(vm), [lockdown("confidentiality")]);
        expect((await stack.up()).code).toBe(0);
        expect(await level()).toBe("confidentiality");

        await setResources(stack, [lockdown("integrity")]);
        const pre = await stack.preview();
        expect(pre.code).toBe(0);
        expect(pre.output).toMatch(/~ mode\s*: "confidentiality" => "integrity"/);
        expect(pre.output).toMatch(/lockdown is confidentiality now and the kernel can only raise it: it stays confidentiality until the next reboot, which starts at integrity/);

        const up = await stack.up();
        expect(up.code).toBe(0);
        expect(up.output).toMatch(/~ 1 updated/);
        expect(up.output).toMatch(/it stays confidentiality until the next reboot.*rebootRequired is true/);
        expect(await level()).toBe("confidentiality");
        expect(await sh(vm, `cat ${DROPIN}`)).toMatch(/^GRUB_CMDLINE_LINUX="\$GRUB_CMDLINE_LINUX lockdown=integrity"$/m);
        for (const line of await grubLinuxLines()) {
            expect(line).toMatch(/lockdown=integrity\b/);
            expect(line).not.toMatch(/lockdown=confidentiality/);
        }
        const outs = await stack.outputsOf(TOKEN, "lockdown");
        expect(outs).toMatchObject({ mode: "integrity", currentLevel: "confidentiality", persistedMode: "integrity", rebootRequired: true });

        // Converged as far as the kernel allows: no further change is planned.
        expect((await stack.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);
    });

    test("drift: the persistence removed or edited by hand shows in preview --refresh and up restores it", async () => {
        stack = await newStack(connectionFor(vm), [lockdown("integrity")]);
        expect((await stack.up()).code).toBe(0);

        await sh(vm, `rm ${DROPIN}`);
        const refreshed = await stack.preview(["--refresh"]);
        expect(refreshed.code).toBe(0);
        expect(refreshed.output).toMatch(/~ mode\s*: "none" => "integrity"/);
        expect(refreshed.output).toMatch(/90-kernelhardening-lockdown\.cfg does not give the next boot lockdown=integrity \(found: nothing\)/);

        const fix = await stack.up();
        expect(fix.code).toBe(0);
        expect(fix.output).toMatch(/~ 1 updated/);
        expect(await sh(vm, `cat ${DROPIN}`)).toMatch(/lockdown=integrity/);
        expect(await level()).toBe("integrity");
        expect((await stack.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);
        const noop = await stack.up();
        expect(noop.code).toBe(0);
        expect(noop.output).not.toMatch(/updated|created|deleted/);

        // A hand edit that keeps the level still counts: the file is ours.
        await sh(vm, `echo 'GRUB_TIMEOUT=5' >> ${DROPIN}`);
        const edited = await stack.preview(["--refresh"]);
        expect(edited.output).toMatch(/~ persistedContent/);
        expect((await stack.up()).code).toBe(0);
        expect(await sh(vm, `cat ${DROPIN}`)).not.toMatch(/GRUB_TIMEOUT/);
    });

    test("securityfs not mounted is mounted; a kernel without the Lockdown LSM fails saying so", async () => {
        await sh(vm, "umount /sys/kernel/security");
        stack = await newStack(connectionFor(vm), [lockdown("integrity")]);
        const up = await stack.up();
        expect(up.code).toBe(0);
        expect(await sh(vm, "grep ' /sys/kernel/security securityfs ' /proc/mounts | wc -l")).toBe("1\n");
        expect(await level()).toBe("integrity");
        stack.cleanup();

        // The kernel's LSM list is what counts; show one without lockdown.
        await sh(vm, "printf 'capability,landlock,yama,apparmor' > /root/lsm && mount --bind /root/lsm /sys/kernel/security/lsm");
        stack = await newStack(connectionFor(vm), [lockdown("integrity")]);
        const noLsm = await stack.up();
        expect(noLsm.code).not.toBe(0);
        expect(noLsm.output).toMatch(/127\.0\.0\.1:\d+: the kernel 6\.1\.\S+ has no Lockdown LSM \(active LSMs: capability,landlock,yama,apparmor\)/);
    });

    test("bad input fails at preview naming the property, before any host is contacted", async () => {
        stack = await newStack({ ...connectionFor(vm), port: 1 }, [lockdown("none")]);
        const pre = await stack.preview();
        expect(pre.code).not.toBe(0);
        expect(pre.output).toMatch(/mode: must be "integrity" or "confidentiality"/);
        expect(pre.output).not.toMatch(/connection refused|127\.0\.0\.1:1\b/);
    });

    test("without GRUB: the lockdown= token of /etc/kernel/cmdline (bls entry regenerated), else a boot-time unit", async () => {
        // A kernel-install host with boot loader entries and no GRUB tooling.
        await sh(
            vm,
            "mkdir -p /root/hidden && mv /etc/default/grub /usr/sbin/update-grub /usr/sbin/grub-mkconfig /root/hidden/ && " +
                "printf 'root=UUID=x ro  quiet lockdown=none foo=\"a b\" -- single\\n' > /etc/kernel/cmdline && " +
                "echo layout=bls > /etc/kernel/install.conf && mkdir -p /boot/loader/entries",
        );
        stack = await newStack(connectionFor(vm), [lockdown("integrity")]);
        const up = await stack.up();
        expect(up.code).toBe(0);
        expect(await sh(vm, "cat /etc/kernel/cmdline")).toBe('root=UUID=x ro  quiet lockdown=integrity foo="a b" -- single\n');
        expect(await sh(vm, "cat /boot/loader/entries/*-$(uname -r).conf")).toMatch(/^options\s+root=UUID=x ro quiet lockdown=integrity foo="a b"/m);
        expect(await stack.outputsOf(TOKEN, "lockdown")).toMatchObject({ persistence: "kernel-cmdline", persistedIn: "/etc/kernel/cmdline", persistedMode: "integrity", previousCmdlineValue: "none" });
        expect(await exists(DROPIN)).toBe(false);
        const destroy = await stack.destroy();
        expect(destroy.code).toBe(0);
        expect(destroy.output).toMatch(/it stays integrity until the next reboot/);
        // The value from before is back; nothing else moved.
        expect(await sh(vm, "cat /etc/kernel/cmdline")).toBe('root=UUID=x ro  quiet lockdown=none foo="a b" -- single\n');
        stack.cleanup();

        // Nothing to put lockdown= on: a unit raises it early at boot.
        await sh(vm, "rm /etc/kernel/cmdline");
        stack = await newStack(connectionFor(vm), [lockdown("confidentiality")]);
        expect((await stack.up()).code).toBe(0);
        expect(await level()).toBe("confidentiality");
        expect(await stack.outputsOf(TOKEN, "lockdown")).toMatchObject({ persistence: "systemd-unit", persistedIn: UNIT, persistedMode: "confidentiality" });
        expect(await sh(vm, `systemctl is-enabled kernelhardening-lockdown.service && systemd-analyze verify ${UNIT} && readlink /etc/systemd/system/sysinit.target.wants/kernelhardening-lockdown.service`)).toBe(
            `enabled\n${UNIT}\n`,
        );
        // The unit itself never writes a level already in force (the kernel would refuse it).
        await sh(vm, "systemctl start kernelhardening-lockdown.service");
        expect(await sh(vm, "systemctl is-failed kernelhardening-lockdown.service || true")).toBe("active\n");
        const destroy2 = await stack.destroy();
        expect(destroy2.code).toBe(0);
        expect(destroy2.output).toMatch(/it stays confidentiality until the next reboot/);
        expect(await exists(UNIT)).toBe(false);
        expect(await exists("/etc/systemd/system/sysinit.target.wants/kernelhardening-lockdown.service")).toBe(false);
    });
});
