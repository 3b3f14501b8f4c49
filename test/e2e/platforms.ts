// The platform matrix: the core behaviour of every resource on one platform's VM (Debian 13 BIOS/GRUB,
// Debian 13 UEFI/systemd-boot). Each platforms-*.test.ts file calls platformMatrix() for its platform
// and gets a VM of its own, snapshotted once and restored before each test; the last two reboot it
// (HostReboot from inside the guest: the same QEMU process, so the snapshot still restores).
// What a test expects of the boot configuration is read from the host (firmware, bootctl), not
// from the platform's name, except to check that the image is the platform it claims to be.
import { readFileSync } from "fs";
import { resolve } from "path";
import {
    connectionFor,
    Platform,
    reboot,
    restore,
    sh,
    snapshot,
    sshExec,
    startVm,
    stopVm,
    VmState,
} from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, ResourceSpec } from "./shared";
import { auditJson, bootKernelLines as hostBootKernelLines, bootsUefi, strictProfileWithReboot } from "./strict-boot";

const LOCKDOWN = "kernelhardening:index:Lockdown";
const PIN = "kernelhardening:index:KernelPackagePin";
const DROPIN = "/etc/default/grub.d/90-kernelhardening-lockdown.cfg";
const PIN_FILE = "/etc/apt/preferences.d/kernelhardening-kernel-pin.pref";
const BLOCKLIST = "/etc/modprobe.d/90-kernelhardening-blocklist.conf";
const META = "linux-image-cloud-amd64";
const APT = "DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0";
const TAINT_UNSIGNED_MODULE = 8192; // bit 13
/** Keys that 6.12 has and 6.1 lacks (the audit and the component's strict profile know them). */
const NEW_KEYS = { "dev.tty.legacy_tiocsti": "0", "kernel.io_uring_disabled": "2" };
const NOOP = /updated|created|deleted|replaced/;
const UNSIGNED_SCRIPT = readFileSync(resolve(__dirname, "../../scripts/guest/unsigned-module.sh"), "utf8");

interface Expect {
    osVersion: string;
    kernel: RegExp;
    boot: "bios" | "uefi";
}

const EXPECT: Record<Exclude<Platform, "debian12">, Expect> = {
    debian13: { osVersion: "13", kernel: /^6\.12\.\d+\S*-cloud-amd64$/, boot: "bios" },
    "debian13-uefi": { osVersion: "13", kernel: /^6\.12\.\d+\S*-cloud-amd64$/, boot: "uefi" },
};

export function platformMatrix(platform: Exclude<Platform, "debian12">): void {
    let vm: VmState;
    let stack: Stack | undefined;
    const want = EXPECT[platform];
    // CI (KH_SUITE=ci) runs every test on the BIOS host and, on the UEFI host (the same kernel and
    // packages), what only systemd-boot can show: the host itself and KernelCmdline persisted through
    // kernel-install and a real reboot. The rest runs there in the full suite (KH_SUITE=full, or jest
    // run directly): CI has 2 cores and each UEFI boot under TCG costs minutes.
    const biosOrFull = want.boot === "bios" || process.env.KH_SUITE !== "ci" ? test : test.skip;

    beforeAll(async () => {
        const t = Date.now();
        // Booted through its own boot loader from the start, and free to reboot itself (HostReboot).
        // (Through the firmware under TCG beside the other runs: a UEFI boot took over 360 s in CI.)
        vm = await startVm(`matrix-${platform}`, platform, { guestReboots: true, bootTimeoutMs: 900_000 });
        await snapshot(vm, "ready");
        process.stderr.write(
            `[platforms] ${platform} host up on 127.0.0.1:${vm.port} in ${((Date.now() - t) / 1000).toFixed(1)} s\n`,
        );
    }, 1_000_000);

    afterAll(async () => {
        if (vm) await stopVm(vm);
    });

    beforeEach(async () => {
        await restore(vm, "ready");
    });

    afterEach(() => {
        stack?.cleanup();
        stack = undefined;
    });

    const live = async (key: string) => (await sh(vm, `cat /proc/sys/${key.replace(/\./g, "/")}`)).trim();
    const level = async () => /\[([a-z]+)\]/.exec(await sh(vm, "cat /sys/kernel/security/lockdown"))![1];
    const exists = async (path: string) => (await sshExec(vm, `test -e ${path}`)).code === 0;
    const up = async (s: Stack, created?: RegExp) => {
        const r = await s.up();
        if (r.code !== 0) throw new Error(`pulumi up failed:\n${r.output}`);
        if (created) expect(r.output).toMatch(created);
        return r;
    };
    /** A second up and a preview change nothing. */
    const noop = async (s: Stack) => {
        const again = await up(s);
        expect(again.output).not.toMatch(NOOP);
        const pre = await s.preview(["--expect-no-changes"]);
        if (pre.code !== 0) throw new Error(`preview --expect-no-changes:\n${pre.output}`);
    };
    const bootKernelLines = () => hostBootKernelLines(vm);

    test(`the host is ${platform}: Debian ${want.osVersion}, its kernel, booted by ${want.boot === "uefi" ? "UEFI and systemd-boot" : "BIOS and GRUB"}`, async () => {
        expect(await sh(vm, ". /etc/os-release && echo $VERSION_ID")).toBe(`${want.osVersion}\n`);
        expect((await sh(vm, "uname -r")).trim()).toMatch(want.kernel);
        const efi = (await sshExec(vm, "test -d /sys/firmware/efi")).code === 0;
        expect(efi).toBe(want.boot === "uefi");
        if (want.boot === "uefi") {
            // The firmware booted systemd-boot, which booted the entry kernel-install made from /etc/kernel/cmdline.
            expect(await sh(vm, "bootctl status --no-pager 2>/dev/null")).toMatch(
                /Current Boot Loader:[\s\S]*Product: systemd-boot/,
            );
            const cmdline = (await sh(vm, "cat /etc/kernel/cmdline")).trim();
            expect((await sh(vm, "cat /proc/cmdline")).trim()).toContain(cmdline);
            expect((await bootKernelLines()).every((l) => l.includes(cmdline))).toBe(true);
            expect(
                (await sshExec(vm, "command -v update-grub || command -v grub-mkconfig || test -e /boot/grub")).code,
            ).not.toBe(0);
        } else {
            expect(await exists("/boot/grub/grub.cfg")).toBe(true);
        }
        for (const u of ["kh", "khpw"]) expect(await sh(vm, `id -un ${u}`)).toBe(`${u}\n`);
        expect(await sh(vm, "whoami", { user: "kh" })).toBe("kh\n");
    });

    biosOrFull("Sysctl with keys 6.1 lacks: create, no-op, drift shown and corrected, delete restores; the audit follows", async () => {
        const before = {
            kptr: await live("kernel.kptr_restrict"),
            tiocsti: await live("dev.tty.legacy_tiocsti"),
            uring: await live("kernel.io_uring_disabled"),
        };
        const audit0 = await auditJson(vm);
        expect(audit0.kernelRelease).toMatch(want.kernel);
        // The audit reads these keys on 6.12 (on 6.1 they are "absent on this kernel").
        expect(audit0.byId["sysctl.dev.tty.legacy_tiocsti"].observed).toBe(before.tiocsti);
        expect(audit0.byId["sysctl.kernel.io_uring_disabled"].observed).toBe(before.uring);
        expect(audit0.byId["sysctl.kernel.io_uring_disabled"].status).toBe(before.uring === "2" ? "pass" : "fail");

        const spec = (entries: Record<string, string>): ResourceSpec[] => [
            { type: "Sysctl", name: "tun", args: { file: "90-matrix.conf", entries } },
        ];
        const entries = { "kernel.kptr_restrict": "2", ...NEW_KEYS };
        stack = await newStack(connectionFor(vm), spec(entries));
        await up(stack, /\+ 2 created/);
        expect(await live("kernel.kptr_restrict")).toBe("2");
        expect(await live("dev.tty.legacy_tiocsti")).toBe("0");
        expect(await live("kernel.io_uring_disabled")).toBe("2");
        expect(await sh(vm, "cat /etc/sysctl.d/90-matrix.conf")).toMatch(
            /^dev\.tty\.legacy_tiocsti = 0\nkernel\.io_uring_disabled = 2\nkernel\.kptr_restrict = 2\n$/m,
        );
        const mtime = await sh(vm, "stat -c %Y.%y /etc/sysctl.d/90-matrix.conf");
        await noop(stack);
        expect(await sh(vm, "stat -c %Y.%y /etc/sysctl.d/90-matrix.conf")).toBe(mtime);

        const audit1 = await auditJson(vm);
        for (const k of Object.keys(NEW_KEYS)) expect(audit1.byId[`sysctl.${k}`].status).toBe("pass");

        await sh(vm, "sysctl -qw kernel.io_uring_disabled=0");
        const drift = await stack.preview();
        expect(drift.output).toMatch(/~ kernel\.io_uring_disabled\s*: "0" => "2"/);
        expect((await up(stack)).output).toMatch(/~ 1 updated/);
        expect(await live("kernel.io_uring_disabled")).toBe("2");

        expect((await stack.destroy()).code).toBe(0);
        expect(await live("kernel.kptr_restrict")).toBe(before.kptr);
        expect(await live("dev.tty.legacy_tiocsti")).toBe(before.tiocsti);
        expect(await live("kernel.io_uring_disabled")).toBe(before.uring);
        expect(await exists("/etc/sysctl.d/90-matrix.conf")).toBe(false);
    });

    biosOrFull("the component's strict profile finds every key on 6.12 (none unsupported)", async () => {
        stack = await newStack(connectionFor(vm), [
            { type: "KernelHardening", name: "web", args: { profile: "strict" } },
        ]);
        const pre = await stack.preview();
        expect(pre.code).toBe(0);
        expect(pre.output).toMatch(/\+ kernelhardening:index:Sysctl: \(create\)/);
        expect(pre.output).not.toMatch(/this kernel has no /);
    });

    biosOrFull("ModuleBlocklist: create refuses modprobe, no-op, drift shown and corrected, delete lets them load", async () => {
        const blocklist = (modules: string[]): ResourceSpec[] => [
            { type: "ModuleBlocklist", name: "bl", args: { modules } },
        ];
        stack = await newStack(connectionFor(vm, "kh"), blocklist(["dummy", "nlmon"]));
        await up(stack, /\+ 2 created/);
        for (const m of ["dummy", "nlmon"]) expect((await sshExec(vm, `modprobe ${m}`)).code).not.toBe(0);
        await noop(stack);

        await sh(vm, `sed -i '/nlmon/d' ${BLOCKLIST}`);
        expect((await stack.preview()).output).toMatch(/~ 1 to update/);
        await up(stack);
        expect((await sshExec(vm, "modprobe nlmon")).code).not.toBe(0);

        expect((await stack.destroy()).code).toBe(0);
        expect(await sh(vm, "modprobe dummy && modprobe nlmon && echo ok")).toBe("ok\n");
        expect(await exists(BLOCKLIST)).toBe(false);
    });

    biosOrFull("KernelPackagePin: the default pin holds the kernel through a real apt-get upgrade; drift corrected; after delete it moves", async () => {
        // The kernel packages are read from the host: the running kernel's image and its meta-package.
        const release = (await sh(vm, "uname -r")).trim();
        const image = (await sh(vm, `dpkg-query -S /boot/vmlinuz-${release}`)).split(":")[0].trim();
        const version = (await sh(vm, `dpkg-query -W -f='\${Version}' ${META}`)).trim();
        const newer = `${version}+kh1`;
        await localRepo(vm, image, newer);
        expect(await sh(vm, `LC_ALL=C apt-cache policy ${META}`)).toContain(`Candidate: ${newer}`);

        stack = await newStack(connectionFor(vm), [{ type: "KernelPackagePin", name: "pin", args: {} }]);
        await up(stack, /\+ 2 created/);
        expect(await sh(vm, "apt-mark showhold | sort")).toBe([image, META].sort().join("\n") + "\n");
        expect(await sh(vm, `grep -A1 '^Package: ${META}$' ${PIN_FILE}`)).toContain(`Pin: version ${version}\n`);
        const outs = await stack.outputsOf(PIN, "pin");
        expect(outs).toMatchObject({ runningKernel: release, pinnedKernels: [release], rebootRequired: false });
        await noop(stack);

        const upgrade = await sshExec(vm, `${APT} upgrade -y`);
        expect(upgrade.code).toBe(0);
        expect(await sh(vm, `dpkg-query -W -f='\${Version}' ${META}`)).toBe(version);

        await sh(vm, `apt-mark unhold ${META} >/dev/null`);
        expect((await stack.preview()).output).toMatch(/~ 1 to update/);
        await up(stack, /~ 1 updated/);
        expect(await sh(vm, "apt-mark showhold | sort")).toBe([image, META].sort().join("\n") + "\n");

        expect((await stack.destroy()).code).toBe(0);
        expect(await exists(PIN_FILE)).toBe(false);
        expect(await sh(vm, "apt-mark showhold")).toBe("");
        expect((await sshExec(vm, `${APT} upgrade -y`)).code).toBe(0);
        expect(await sh(vm, `dpkg-query -W -f='\${Version}' ${META}`)).toBe(newer);
    });

    // The one boot of the matrix that HostReboot makes: KernelCmdline through the component, on this host's
    // own boot configuration (a GRUB drop-in; /etc/kernel/cmdline and kernel-install on systemd-boot).
    test("KernelCmdline: the strict profile with reboot ifRequired persists KSPP's boot parameters and reboots once through the host's boot loader; the audit passes them; no-op; delete", async () => {
        expect(await bootsUefi(vm)).toBe(want.boot === "uefi");
        await strictProfileWithReboot(vm, (s) => (stack = s));
    }, 3_000_000);

    // Last: it reboots the VM (the snapshot stays in the overlay, but nothing after needs it).
    biosOrFull("Lockdown: the post's demonstration, no-op, drift shown and corrected (on BIOS found lower after a reboot first); persistence across real reboots; delete lasts until the next one; on BIOS, the boot-time unit where GRUB cannot be edited", async () => {
        expect(await level()).toBe("none");
        const [, unsigned, name] = (
            await sh(vm, "sh -s", {
                stdin: UNSIGNED_SCRIPT,
            })
        )
            .trim()
            .split(" ");
        const loaded = await sshExec(vm, `insmod ${unsigned}`);
        expect(loaded.code).toBe(0);
        expect(Number(await live("kernel.tainted")) & TAINT_UNSIGNED_MODULE).toBe(TAINT_UNSIGNED_MODULE);
        await sh(vm, `rmmod ${name}`);

        const lockdown: ResourceSpec[] = [{ type: "Lockdown", name: "lockdown", args: { mode: "integrity" } }];
        stack = await newStack(connectionFor(vm), lockdown);
        await up(stack, /\+ 2 created/);
        expect(await level()).toBe("integrity");
        const refused = await sshExec(vm, `insmod ${unsigned}`);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toMatch(/Operation not permitted/);
        expect(await sh(vm, "dmesg | tail -n 5")).toMatch(/Lockdown: insmod: unsigned module loading is restricted/);
        await sh(vm, `modprobe ${name} && rmmod ${name}`); // the signed original still loads

        // Persisted through this host's own boot configuration.
        const outs = await stack.outputsOf(LOCKDOWN, "lockdown");
        const persistence =
            want.boot === "uefi"
                ? { persistence: "kernel-cmdline", persistedIn: "/etc/kernel/cmdline" }
                : { persistence: "grub", persistedIn: DROPIN };
        expect(outs).toMatchObject({
            ...persistence,
            persistedMode: "integrity",
            currentLevel: "integrity",
            rebootRequired: false,
        });
        if (want.boot === "uefi") expect(await sh(vm, "cat /etc/kernel/cmdline")).toMatch(/ lockdown=integrity\n$/);
        for (const l of await bootKernelLines())
            expect(l).toMatch(/console=ttyS0 net\.ifnames=0.* lockdown=integrity\b/);
        await noop(stack);

        // Drift: the persistence undone by hand shows in a plain preview, before any reboot.
        // (On BIOS grub.cfg is regenerated too, so the reboot below boots without the token.)
        await sh(vm, want.boot === "uefi" ? "sed -i 's/ lockdown=integrity//' /etc/kernel/cmdline" : `rm ${DROPIN} && update-grub 2>/dev/null`);
        const drift = await stack.preview();
        expect(drift.output).toMatch(/~ mode\s*: "none" => "integrity"/);
        if (want.boot === "bios") {
            // The host reboots like that: the level is found lower, preview --refresh says so and up
            // repairs it (the live level raised again, the persistence restored).
            await reboot(vm);
            expect(await level()).toBe("none");
            const lower = await stack.preview(["--refresh"]);
            expect(lower.output).toMatch(/~ mode\s*: "none" => "integrity"/);
            expect(lower.output).toMatch(/lockdown is none now, below integrity/);
        }
        await up(stack, /~ 1 updated/);
        expect(await level()).toBe("integrity");
        for (const l of await bootKernelLines()) expect(l).toMatch(/ lockdown=integrity\b/);

        // A real reboot through the host's own boot loader: the kernel starts locked down.
        await reboot(vm);
        expect(await level()).toBe("integrity");
        expect(await sh(vm, "cat /proc/cmdline")).toMatch(/ lockdown=integrity\b/);
        expect(await sh(vm, "dmesg")).toMatch(/Kernel is locked down from command line/);
        expect(want.boot === "uefi").toBe((await sshExec(vm, "test -d /sys/firmware/efi")).code === 0);
        expect((await stack.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);
        expect((await stack.refresh()).code).toBe(0);
        expect((await stack.outputsOf(LOCKDOWN, "lockdown")).cmdline).toMatch(/ lockdown=integrity\b/);

        // Destroy removes the persistence; the level stays until the next reboot, then it is gone.
        const destroy = await stack.destroy();
        expect(destroy.code).toBe(0);
        expect(destroy.output).toMatch(/it stays integrity until the next reboot/);
        expect(await level()).toBe("integrity");
        for (const l of await bootKernelLines()) expect(l).not.toMatch(/lockdown=/);
        await reboot(vm);
        expect(await level()).toBe("none");
        expect(await sh(vm, "cat /proc/cmdline")).not.toMatch(/lockdown=/);
        if (want.boot === "uefi") return;
        stack.cleanup();

        // A host whose boot configuration cannot be edited (no GRUB tools, no kernel-install source):
        // the boot-time unit raises the level early in every boot.
        await sh(vm, "mkdir -p /root/hidden && mv /etc/default/grub /usr/sbin/update-grub /usr/sbin/grub-mkconfig /root/hidden/");
        stack = await newStack(connectionFor(vm), lockdown);
        await up(stack, /\+ 2 created/);
        expect((await stack.outputsOf(LOCKDOWN, "lockdown")).persistence).toBe("systemd-unit");
        await reboot(vm);
        expect(await level()).toBe("integrity");
        expect(await sh(vm, "cat /proc/cmdline")).not.toMatch(/lockdown=/);
        expect(await sh(vm, "systemctl is-active kernelhardening-lockdown.service")).toBe("active\n");
        expect(await sh(vm, "dmesg")).toMatch(/Kernel is locked down from securityfs/);
        expect((await stack.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);
    }, 2_400_000);
}

/**
 * A local apt repository inside the guest offering a newer (dummy) meta-package that depends on
 * the installed image, so a real `apt-get upgrade` would move it; the network sources are set
 * aside in whichever format the host has them (sources.list or deb822 .sources).
 */
async function localRepo(vm: VmState, image: string, newer: string): Promise<void> {
    const script = String.raw`set -e
mkdir -p /srv/repo/p/DEBIAN
printf 'Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: kh test <kh@example.invalid>\nDepends: %s\nDescription: dummy\n' "$1" "$2" "$3" > /srv/repo/p/DEBIAN/control
dpkg-deb --build -Zxz /srv/repo/p "/srv/repo/$1_$2_amd64.deb" >/dev/null
rm -rf /srv/repo/p
cd /srv/repo && apt-ftparchive packages . > Packages
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && mv "$f" "$f.off"
done
echo 'deb [trusted=yes] file:/srv/repo ./' > /etc/apt/sources.list.d/kh-local.list
apt-get -q update >/dev/null
`;
    await sh(vm, `sh -s -- ${META} '${newer}' '${image}'`, { stdin: script });
}
