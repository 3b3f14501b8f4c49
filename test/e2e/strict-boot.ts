// The strict profile's boot parameters with `reboot: "ifRequired"`, end to end on one VM that reboots
// itself through its own boot loader (started with guestReboots): one `up` persists KSPP's parameters,
// reboots once and verifies them; the audit's command-line findings pass; a second `up` neither
// changes nor reboots; destroy takes them out of the boot configuration. Run by the platform matrix
// (Debian 13 BIOS/GRUB and UEFI/systemd-boot). Where the host boots from is read from it.
import { execFile } from "child_process";
import { readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { connectionFor, sh, sshExec, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { STRICT_BOOT } from "../../provider/resources/kernelcmdline/profile";
import { newStack } from "./shared";

const CMDLINE = "kernelhardening:index:KernelCmdline";
const CMDLINE_DROPIN = "/etc/default/grub.d/90-kernelhardening-cmdline.cfg";
const UNSIGNED_SCRIPT = readFileSync(resolve(__dirname, "../../scripts/guest/unsigned-module.sh"), "utf8");

/** The audit CLI's JSON report of the host, findings by id. */
export async function auditJson(
    vm: VmState,
): Promise<{ kernelRelease: string; byId: Record<string, { status: string; observed: string | null }> }> {
    const key = join(tmpdir(), `kh-key-${process.pid}`);
    writeFileSync(key, vm.image.privateKey, { mode: 0o600 });
    try {
        const cli = resolve(__dirname, "../../bin/kernelhardening");
        const out = await new Promise<string>((res, rej) =>
            execFile(
                cli,
                ["audit", `kh@127.0.0.1:${vm.port}`, "-i", key, "--host-key", vm.image.hostPublicKey, "--json"],
                (e, stdout, stderr) =>
                    // exit 1 only means failures of high severity were found
                    e && (e as { code?: number }).code !== 1 ? rej(new Error(`audit: ${stderr}`)) : res(stdout),
            ),
        );
        const report = JSON.parse(out) as {
            kernelRelease: string;
            findings: Array<{ id: string; status: string; observed: string | null }>;
        };
        return { kernelRelease: report.kernelRelease, byId: Object.fromEntries(report.findings.map((f) => [f.id, f])) };
    } finally {
        rmSync(key, { force: true });
    }
}

/** The host booted through UEFI and systemd-boot (else BIOS and GRUB), read from the host. */
export async function bootsUefi(vm: VmState): Promise<boolean> {
    return (await sshExec(vm, "test -d /sys/firmware/efi")).code === 0;
}

/** The kernel command lines the host's boot loader will use: the ESP's loader entries or GRUB's config. */
export async function bootKernelLines(vm: VmState): Promise<string[]> {
    if (await bootsUefi(vm)) {
        const esp = (await sh(vm, "bootctl --print-esp-path")).trim();
        return (await sh(vm, `sed -n 's/^options[[:space:]]*//p' ${esp}/loader/entries/*-$(uname -r).conf`))
            .trim()
            .split("\n");
    }
    return (await sh(vm, "grep -E '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg")).trim().split("\n");
}

const bootId = async (vm: VmState) => (await sh(vm, "cat /proc/sys/kernel/random/boot_id")).trim();
const exists = async (vm: VmState, path: string) => (await sshExec(vm, `test -e ${path}`)).code === 0;

/** Runs the scenario; `track` gets the stack at once, so the caller cleans it up even on failure. */
export async function strictProfileWithReboot(vm: VmState, track: (s: Stack) => void): Promise<void> {
    const tokens = Object.entries(STRICT_BOOT).map(([k, p]) => (p.value === "" ? k : `${k}=${p.value}`));
    const hasAll = (line: string) => tokens.every((t) => ` ${line} `.includes(` ${t} `));
    const cmdlineIds = Object.keys(STRICT_BOOT).map((k) => `cmdline.${k}`);
    const uefi = await bootsUefi(vm);
    const before = await auditJson(vm);
    expect(cmdlineIds.filter((id) => before.byId[id].status !== "pass")).toContain("cmdline.module.sig_enforce");
    const [signed, unsigned, name] = (await sh(vm, "sh -s", { stdin: UNSIGNED_SCRIPT })).trim().split(" ");
    const boot0 = await bootId(vm);

    const stack = await newStack(connectionFor(vm), [
        // A boot with these parameters under TCG on a 2-core machine shared with other VMs can take 10 minutes.
        { type: "KernelHardening", name: "web", args: { profile: "strict", reboot: "ifRequired", rebootTimeoutSeconds: 1500 } },
    ]);
    track(stack);
    const upOnce = () => stack.run(["up", "--yes", "--skip-preview", "--stack", stack.name], { timeoutMs: 2_000_000 });
    const first = await upOnce();
    if (first.code !== 0) {
        // What the guest's console said last: a boot that hangs, or one that was only slow.
        const serial = readFileSync(join(vm.dir, "serial.log"), "latin1").slice(-3000).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
        throw new Error(`pulumi up failed:\n${first.output}\n--- end of the guest's serial console ---\n${serial}`);
    }
    expect(first.output).toMatch(/rebooting \(\d+ watched resources? needs? a reboot\)/);
    expect(first.output).toMatch(/back after \d+ s with a new boot; verified: .*module\.sig_enforce=1/);
    expect(await bootId(vm)).not.toBe(boot0);
    // The component's rebootTimeoutSeconds reached its HostReboot (once it did not, and 600 s applied).
    expect(await stack.outputsOf("kernelhardening:index:HostReboot", "web-reboot")).toMatchObject({ timeoutSeconds: 1500 });

    // Persisted where this host boots from; the boot entries carry every parameter.
    const outs = await stack.outputsOf(CMDLINE, "web-cmdline");
    if (uefi) {
        expect(outs).toMatchObject({ persistence: "kernel-cmdline", persistedIn: "/etc/kernel/cmdline" });
        expect(hasAll((await sh(vm, "cat /etc/kernel/cmdline")).trim())).toBe(true);
        expect(await exists(vm, CMDLINE_DROPIN)).toBe(false);
    } else {
        expect(outs).toMatchObject({ persistence: "grub", persistedIn: CMDLINE_DROPIN });
        expect(await sh(vm, `grep -c '^GRUB_CMDLINE_LINUX=' ${CMDLINE_DROPIN}`)).toBe("1\n");
    }
    for (const l of await bootKernelLines(vm)) expect(hasAll(l)).toBe(true);
    // Booted with them: the kernel refuses unsigned modules (signature enforcement from the command line).
    expect(hasAll((await sh(vm, "cat /proc/cmdline")).trim())).toBe(true);
    const refused = await sshExec(vm, `insmod ${unsigned}`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Key was rejected by service/);
    expect(await sh(vm, "dmesg | tail -n 5")).toMatch(/Loading of unsigned module is rejected/);
    await sh(vm, `insmod ${signed} && rmmod ${name}`); // the signed original still loads
    const after = await auditJson(vm);
    expect(cmdlineIds.map((id) => [id, after.byId[id].status])).toEqual(cmdlineIds.map((id) => [id, "pass"]));

    // A second up changes nothing and does not reboot.
    const booted = await bootId(vm);
    const again = await upOnce();
    expect(again.code).toBe(0);
    expect(again.output).not.toMatch(/updated|created|deleted|replaced|rebooting/);
    expect(await bootId(vm)).toBe(booted);

    // Delete takes every parameter out of the boot configuration; the running kernel keeps them until a reboot.
    const destroy = await stack.destroy();
    if (destroy.code !== 0) throw new Error(`pulumi destroy failed:\n${destroy.output}`);
    expect(destroy.output).toMatch(/until the host reboots/);
    for (const l of await bootKernelLines(vm)) for (const t of tokens) expect(` ${l} `).not.toContain(` ${t} `);
    if (uefi) expect(await sh(vm, "cat /etc/kernel/cmdline")).not.toMatch(/sig_enforce/);
    else expect(await exists(vm, CMDLINE_DROPIN)).toBe(false);
}
