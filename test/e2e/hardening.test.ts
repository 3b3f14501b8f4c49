// The KernelHardening component (served by the provider's construct) and the audit, end to end.
import { execFile } from "child_process";
import { readFileSync, writeFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { connectionFor, sh, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm } from "./shared";

jest.setTimeout(600_000);

let vm: VmState;
let stack: Stack | undefined;

beforeEach(async () => {
    vm = await pristineVm();
});

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

const HARDENING = "kernelhardening:index:KernelHardening";

test("strict profile without one-way opt-in: applies KSPP sysctls, reports what it left out and what the kernel lacks, audits after apply", async () => {
    stack = await newStack(connectionFor(vm), [{ type: "KernelHardening", name: "web", args: { profile: "strict", overrides: { "vm.swappiness": "10" }, exclude: ["kernel.sysrq"] } }]);
    const pre = await stack.preview();
    expect(pre.code).toBe(0);
    expect(pre.output).toMatch(/\+ kernelhardening:index:Sysctl: \(create\)/);
    expect(pre.output).not.toMatch(/kernelhardening:index:Lockdown/);
    expect(pre.output).toMatch(/this kernel has no dev\.tty\.legacy_tiocsti, kernel\.io_uring_disabled: reported in unsupportedKeys, not set/);
    expect(pre.output).toMatch(/left out without allowOneWay .*kernel\.kexec_load_disabled=1, kernel\.modules_disabled=1, kernel\.yama\.ptrace_scope=3, lockdown=integrity/);

    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(await sh(vm, "sysctl -n kernel.kptr_restrict kernel.yama.ptrace_scope vm.swappiness kernel.sysrq kernel.kexec_load_disabled")).toBe("2\n2\n10\n438\n0\n");
    expect(await sh(vm, "cat /sys/kernel/security/lockdown")).toBe("[none] integrity confidentiality\n");

    const outs = await stack.outputsOf(HARDENING, "web");
    expect(outs.unsupportedKeys).toEqual(["dev.tty.legacy_tiocsti", "kernel.io_uring_disabled"]);
    expect(outs.sysctlEntries["kernel.sysrq"]).toBeUndefined();
    expect(outs.sysctlEntries["vm.swappiness"]).toBe("10");
    expect(outs.auditSummary.pass).toBeGreaterThan(30);
    expect(outs.auditSummary.needsKernelRebuild).toContain("kconfig.KEXEC");
    expect(outs.auditFailures.join("\n")).toMatch(/runtime\.lockdown/);

    const again = await stack.preview(["--expect-no-changes"]);
    expect(again.code).toBe(0);
});

test("the audit function and the CLI read the same host and agree", async () => {
    const key = join(tmpdir(), `kh-key-${process.pid}`);
    writeFileSync(key, vm.image.privateKey, { mode: 0o600 });
    try {
        const cli = resolve(__dirname, "../../bin/kernelhardening");
        const run = (args: string[]) =>
            new Promise<{ code: number; out: string; err: string }>((res) =>
                execFile(cli, ["audit", `kh@127.0.0.1:${vm.port}`, "-i", key, "--host-key", vm.image.hostPublicKey, ...args], (e, out, err) =>
                    res({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out, err }),
                ),
            );
        const json = await run(["--json", "--fail-on", "critical"]);
        expect(json.code).toBe(0);
        const report = JSON.parse(json.out);
        expect(report.kernelRelease).toMatch(/^6\.1\.0-\d+-cloud-amd64$/);
        expect(report.lockdown).toBe("none");
        const byId = Object.fromEntries(report.findings.map((f: { id: string }) => [f.id, f]));
        expect(byId["kconfig.MODULE_SIG_FORCE"].status).toBe("fail");
        expect(byId["kconfig.RANDOMIZE_BASE"].status).toBe("pass");
        expect(byId["sysctl.kernel.kptr_restrict"]).toMatchObject({ status: "fail", observed: "0", expected: "2 or more" });
        expect(byId["runtime.lockdown"].status).toBe("fail");

        const table = await run([]);
        expect(table.code).toBe(1); // high-severity failures
        expect(table.out).toMatch(/FAIL\s+high\s+sysctl\.kernel\.kptr_restrict\s+0\s+2 or more\s+Sysctl entries\["kernel\.kptr_restrict"\] = "2"/);
        expect(table.out).not.toMatch(/\x1b\[/); // no colour when not a terminal

        // A fleet run: three audits of the host in parallel (as kh twice and as root), one JSON and one HTML report.
        const jsonOut = join(tmpdir(), `kh-fleet-${process.pid}.json`);
        const htmlOut = join(tmpdir(), `kh-fleet-${process.pid}.html`);
        const fleet = await run([`root@127.0.0.1:${vm.port}`, `kh@localhost:${vm.port}`, "--parallel", "3", "--json-out", jsonOut, "--html", htmlOut]);
        expect(fleet.code).toBe(1);
        const results = JSON.parse(readFileSync(jsonOut, "utf8"));
        expect(results.map((r: { target: string }) => r.target)).toEqual([`kh@127.0.0.1:${vm.port}`, `root@127.0.0.1:${vm.port}`, `kh@localhost:${vm.port}`]);
        for (const r of results) expect(r.summary.fail).toBe(report.summary.fail);
        expect(fleet.out.split("\n").filter(Boolean)).toHaveLength(3);
        expect(readFileSync(htmlOut, "utf8")).toContain(`root@127.0.0.1:${vm.port}`);
        rmSync(jsonOut, { force: true });
        rmSync(htmlOut, { force: true });

        const wrongKey = await run(["--host-key", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]);
        expect(wrongKey.code).toBe(2);
        expect(wrongKey.err).toMatch(/host key verification failed/);
    } finally {
        rmSync(key, { force: true });
    }
});

test("baseline with allowOneWay raises Lockdown and reports it; the component's outputs reach the program", async () => {
    stack = await newStack(connectionFor(vm), [{ type: "KernelHardening", name: "web", args: { allowOneWay: true } }]);
    const pre = await stack.preview();
    expect(pre.code).toBe(0);
    expect(pre.output).toMatch(/one-way settings, not reversible before a reboot: kernel\.kexec_load_disabled=1, lockdown=integrity/);
    expect(pre.output).toMatch(/\+ kernelhardening:index:Lockdown: \(create\)/);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(await sh(vm, "cat /sys/kernel/security/lockdown; sysctl -n kernel.kexec_load_disabled")).toBe("none [integrity] confidentiality\n1\n");
    const outs = await stack.outputsOf(HARDENING, "web");
    expect(outs).toMatchObject({ lockdownLevel: "integrity", rebootRequired: false, oneWayApplied: ["kernel.kexec_load_disabled=1", "lockdown=integrity"], skippedOneWay: [] });
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
});
