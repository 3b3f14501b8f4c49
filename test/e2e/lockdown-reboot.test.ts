// Lockdown across real reboots through the guest's own boot configuration (GRUB, else a boot-time
// unit), on a Debian 12 VM of its own: it runs beside the other reboot tests (project "platforms").
import { connectionFor, reboot, sh, startVm, stopVm } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack } from "./shared";
import { DROPIN, exists, grubLinuxLines, level, lockdown, TOKEN } from "./lockdown-helpers";

jest.setTimeout(600_000);

let stack: Stack | undefined;
afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

test("the level survives reboots through GRUB; a level found lower after a reboot is repaired; destroy lasts until the next reboot; the unit raises it at boot", async () => {
    const own = await startVm("lockdown-reboot");
    try {
        stack = await newStack(connectionFor(own), [lockdown("integrity")]);
        expect((await stack.up()).code).toBe(0);
        expect(await level(own)).toBe("integrity");

        // Someone undoes the persistence and the host reboots: the level is found lower.
        await sh(own, `rm ${DROPIN} && update-grub 2>/dev/null`);
        await reboot(own);
        expect(await level(own)).toBe("none");
        const drift = await stack.preview(["--refresh"]);
        expect(drift.code).toBe(0);
        expect(drift.output).toMatch(/~ mode\s*: "none" => "integrity"/);
        expect(drift.output).toMatch(/lockdown is none now, below integrity/);
        const repair = await stack.up();
        expect(repair.code).toBe(0);
        expect(await level(own)).toBe("integrity");

        // The repaired persistence holds across a real reboot: the kernel starts at integrity.
        await reboot(own);
        expect(await level(own)).toBe("integrity");
        expect(await sh(own, "cat /proc/cmdline")).toMatch(/ lockdown=integrity\b/);
        expect(await sh(own, "dmesg")).toMatch(/Kernel is locked down from command line/);
        expect((await stack.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);
        expect((await stack.run(["refresh", "--yes", "--stack", stack.name])).code).toBe(0);
        expect((await stack.outputsOf(TOKEN, "lockdown")).cmdline).toMatch(/ lockdown=integrity\b/);

        // Destroy removes the persistence; the level stays until the next reboot, then it is gone.
        const destroy = await stack.destroy();
        expect(destroy.code).toBe(0);
        expect(destroy.output).toMatch(/lockdown is integrity now and the kernel can only raise it: it stays integrity until the next reboot/);
        expect(await level(own)).toBe("integrity");
        expect(await exists(DROPIN, own)).toBe(false);
        for (const line of await grubLinuxLines(own)) expect(line).not.toMatch(/lockdown=/);
        await reboot(own);
        expect(await level(own)).toBe("none");
        expect(await sh(own, "cat /proc/cmdline")).not.toMatch(/lockdown=/);
        stack.cleanup();

        // A host whose boot configuration we cannot edit: the unit raises the level early in boot.
        await sh(own, "mkdir -p /root/hidden && mv /etc/default/grub /usr/sbin/update-grub /usr/sbin/grub-mkconfig /root/hidden/");
        stack = await newStack(connectionFor(own), [lockdown("integrity")]);
        expect((await stack.up()).code).toBe(0);
        expect((await stack.outputsOf(TOKEN, "lockdown")).persistence).toBe("systemd-unit");
        await reboot(own);
        expect(await level(own)).toBe("integrity");
        expect(await sh(own, "cat /proc/cmdline")).not.toMatch(/lockdown=/);
        expect(await sh(own, "systemctl is-active kernelhardening-lockdown.service")).toBe("active\n");
        expect(await sh(own, "dmesg")).toMatch(/Kernel is locked down from securityfs/);
        expect((await stack.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);
    } finally {
        await stopVm(own);
    }
}, 1_500_000);
