// Reboots under Pulumi's control, end to end on Debian 12 VMs of this file's own that reboot
// themselves through their own GRUB (the shared VM is restored from snapshots, which is not a boot).
// The program is examples/rolling-reboot: KernelCmdline + HostReboot per host, batches ordered by dependsOn.
// The KernelHardening component's strict profile with reboot ifRequired (strict-boot.ts) reboots through
// GRUB on Debian 13 BIOS and through systemd-boot on Debian 13 UEFI, in the platform matrix: on Debian
// 12 it ran the same code through the same GRUB path and was CI's longest test (757 s).
import { existsSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { sh, sshExec, startVm, stopVm, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { auditHost } from "../../provider/functions/audit";
import { ConnectionSchema } from "../../provider/ssh/connection";

jest.setTimeout(1_200_000);

const EXAMPLE = resolve(__dirname, "../../examples/rolling-reboot");
const UNSIGNED_SCRIPT = readFileSync(resolve(__dirname, "../../scripts/guest/unsigned-module.sh"), "utf8");
const trace = join(tmpdir(), `kh-reboot-trace-${process.pid}.jsonl`);

let a: VmState;
let b: VmState;
let stack: Stack | undefined;

// A boot under TCG on this shared 2-core machine can take minutes: VMs get 15 of them.
const boot = (name: string) => startVm(name, undefined, { guestReboots: true, bootTimeoutMs: 900_000 });

beforeAll(async () => {
    a = await boot("reboot-a");
}, 960_000);

afterAll(async () => {
    await Promise.all([a && stopVm(a), b && stopVm(b)]);
});

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

const hostOf = (vm: VmState) => ({ host: "127.0.0.1", port: vm.port, hostKey: vm.image.hostPublicKey });

async function exampleStack(vms: VmState[], config: Record<string, string> = {}): Promise<Stack> {
    const st = new Stack(EXAMPLE, undefined, { KH_TRACE_FILE: trace });
    await st.init({
        hosts: { value: JSON.stringify(vms.map(hostOf)) },
        privateKey: { value: vms[0].image.privateKey, secret: true },
        ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v }])),
    });
    return st;
}

/** `pulumi up` with room for reboots (the harness allows 5 minutes; a reboot under TCG here can take 5). */
const up = (st: Stack) => st.run(["up", "--yes", "--skip-preview", "--stack", st.name], { timeoutMs: 1_100_000 });

function ops(): Array<{ t: number; host: string; op: string }> {
    return existsSync(trace) ? readFileSync(trace, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.op !== "cancel") : [];
}

const bootId = async (vm: VmState) => (await sh(vm, "cat /proc/sys/kernel/random/boot_id")).trim();

async function unsignedModule(vm: VmState): Promise<{ signed: string; unsigned: string; name: string }> {
    const [signed, unsigned, name] = (await sh(vm, "sh -s", { stdin: UNSIGNED_SCRIPT })).trim().split(" ");
    return { signed, unsigned, name };
}

test("the post's first point on a stock kernel: one up persists module.sig_enforce=1, reboots through GRUB, then unsigned modules are refused; a second up does not reboot; destroy and a reboot undo it", async () => {
    const mod = await unsignedModule(a);
    // Before: the stock kernel takes an unsigned module (no Lockdown involved).
    expect((await sshExec(a, `insmod ${mod.unsigned}`)).code).toBe(0);
    await sh(a, `rmmod ${mod.name}`);
    const firstBoot = await bootId(a);

    rmSync(trace, { force: true });
    stack = await exampleStack([a], { timeoutSeconds: "900" });
    const first = await up(stack);
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/\+ 3 created/);
    expect(first.output).toMatch(/rebooting \(1 watched resource needs a reboot\)/);
    expect(first.output).toMatch(/back after \d+ s with a new boot; verified: module\.sig_enforce=1/);
    expect(ops().filter((o) => o.op === "reboot.reboot")).toHaveLength(1);
    expect(await bootId(a)).not.toBe(firstBoot);

    // After: booted through the guest's own grub.cfg with the parameter; the kernel refuses unsigned modules.
    expect(await sh(a, "cat /proc/cmdline")).toMatch(/^BOOT_IMAGE=\S+ root=\S+ ro console=ttyS0 net\.ifnames=0 module\.sig_enforce=1\b/);
    expect(await sh(a, "cat /sys/module/module/parameters/sig_enforce")).toBe("Y\n");
    const refused = await sshExec(a, `insmod ${mod.unsigned}`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Key was rejected by service/);
    expect(await sh(a, "dmesg | tail -n 5")).toMatch(/Loading of unsigned module is rejected/);
    // The signed original still loads.
    await sh(a, `insmod ${mod.signed} && grep -q '^${mod.name} ' /proc/modules && rmmod ${mod.name}`);
    const audit = await auditHost(ConnectionSchema.parse({ ...hostOf(a), privateKey: a.image.privateKey }));
    // Debian's kernel is still built without MODULE_SIG_FORCE (the kconfig verdict stays a failure), but the
    // command line and the running kernel now enforce signatures, and the audit says so.
    const ids = ["kconfig.MODULE_SIG", "kconfig.MODULE_SIG_FORCE", "cmdline.module.sig_enforce", "runtime.module_sig_enforce"];
    const sig = ids.map((id) => [id, audit.findings.find((f) => f.id === id)?.status]);
    expect(sig).toEqual([
        ["kconfig.MODULE_SIG", "pass"],
        ["kconfig.MODULE_SIG_FORCE", "fail"],
        ["cmdline.module.sig_enforce", "pass"],
        ["runtime.module_sig_enforce", "pass"],
    ]);

    // A second up changes nothing and does not reboot.
    const booted = await bootId(a);
    rmSync(trace, { force: true });
    const again = await up(stack);
    expect(again.code).toBe(0);
    expect(again.output).not.toMatch(/updated|created|deleted|rebooting/);
    expect(ops().filter((o) => o.op === "reboot.reboot")).toHaveLength(0);
    expect(await bootId(a)).toBe(booted);

    // destroy removes only our drop-in and says a reboot is needed (the rolling test below reboots this host
    // again and checks that the parameter is gone then).
    const destroy = await stack.destroy();
    expect(destroy.code).toBe(0);
    expect(destroy.output).toMatch(/module\.sig_enforce stays on the running kernel's command line until the host reboots/);
    expect(await sh(a, "ls /etc/default/grub.d")).not.toMatch(/kernelhardening/);
    expect(await sh(a, "grep -c 'module.sig_enforce' /boot/grub/grub.cfg || true")).toBe("0\n");
});

test("rolling reboot of two hosts: the second reboots only after the first is back and verified; the first boots without what was destroyed", async () => {
    b = await boot("reboot-b");
    const mod = await unsignedModule(a);
    rmSync(trace, { force: true });
    stack = await exampleStack([a, b], { parameters: JSON.stringify({ slab_nomerge: "" }), timeoutSeconds: "900" });
    const first = await up(stack);
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/\+ 5 created/);
    const t = ops();
    const where = (vm: VmState) => `127.0.0.1:${vm.port}`;
    const rebootA = t.find((o) => o.op === "reboot.reboot" && o.host === where(a))!;
    const rebootB = t.find((o) => o.op === "reboot.reboot" && o.host === where(b))!;
    expect(rebootA).toBeDefined();
    expect(rebootB).toBeDefined();
    // Every probe of the first host (the last verifies it after its reboot) comes before the second host's reboot.
    const lastProbeA = Math.max(...t.filter((o) => o.op === "reboot.probe" && o.host === where(a)).map((o) => o.t));
    expect(rebootA.t).toBeLessThan(lastProbeA);
    expect(lastProbeA).toBeLessThan(rebootB.t);
    for (const vm of [a, b]) expect(await sh(vm, "cat /proc/cmdline")).toMatch(/ slab_nomerge\b/);
    // pulumi destroy of the first test, then this reboot: module.sig_enforce is gone and unsigned modules load again.
    expect(await sh(a, "cat /proc/cmdline")).not.toMatch(/sig_enforce/);
    expect((await sshExec(a, `insmod ${mod.unsigned}`)).code).toBe(0);
    await sh(a, `rmmod ${mod.name}`);
    const outs = (await stack.run(["stack", "output", "--json", "--stack", stack.name])).stdout;
    const rebooted = Object.values(JSON.parse(outs).hostsOut).map((h) => (h as { rebooted: boolean }).rebooted);
    expect(rebooted).toEqual([true, true]);
    // Nothing of this stack is left for the next test's KernelCmdline (the running kernels keep slab_nomerge).
    const destroy = await stack.destroy();
    expect(destroy.code).toBe(0);
    expect(await sh(a, "ls /etc/default/grub.d")).not.toMatch(/kernelhardening/);
});
