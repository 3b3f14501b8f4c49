// Boots a VM, shows the post's demonstration before and after `pulumi up` of the quickstart stack
// (module.sig_enforce raised live with the one-way opt-in: no reboot, which takes minutes under TCG;
// test/e2e/reboot.test.ts proves the reboot), shows that a second `up` changes nothing, stops the VM.
import { readFileSync } from "fs";
import { join, resolve } from "path";
import { sh, sshExec, startVm, stopVm } from "../test/harness/vm";
import { installedQuickstart } from "./demo-project";

const ROOT = resolve(__dirname, "..");
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold("==> " + s)}`);

async function kernelState(vm: Parameters<typeof sh>[0]) {
    return sh(
        vm,
        "echo \"lockdown:            $(cat /sys/kernel/security/lockdown)\"; for k in kernel.kptr_restrict kernel.dmesg_restrict kernel.kexec_load_disabled; do printf '%-20s %s\\n' \"$k:\" \"$(sysctl -n $k)\"; done; echo \"tainted:             $(cat /proc/sys/kernel/tainted)\"; echo \"module.sig_enforce:  $(cat /sys/module/module/parameters/sig_enforce)\"",
    );
}

async function main() {
    step("Booting a Debian 12 VM (kernel 6.1 cloud, QEMU software emulation; about 30 s)");
    const t = Date.now();
    const vm = await startVm("demo");
    console.log(`VM up on 127.0.0.1:${vm.port} in ${((Date.now() - t) / 1000).toFixed(1)} s; kernel ${(await sh(vm, "uname -r")).trim()}`);
    // The released artifacts (npm run dist) in a project of its own, as a user installs them.
    const stack = await installedQuickstart("demo");
    try {
        step("Before: the kernel as Debian ships it");
        console.log(await kernelState(vm));
        const [signed, unsigned, name] = (await sh(vm, "sh -s", { stdin: readFileSync(join(ROOT, "scripts/guest/unsigned-module.sh"), "utf8") })).trim().split(" ");
        const load = await sshExec(vm, `insmod ${unsigned} && echo loaded && rmmod ${name}`);
        console.log(`insmod of an unsigned copy of ${name}.ko: ${load.stdout.trim() || load.stderr.trim()} (the kernel is now tainted: ${(await sh(vm, "cat /proc/sys/kernel/tainted")).trim()})`);

        step("pulumi preview: what the KernelHardening component will change");
        await stack.init({
            host: { value: "127.0.0.1" },
            port: { value: String(vm.port) },
            privateKey: { value: vm.image.privateKey, secret: true },
            hostKey: { value: vm.image.hostPublicKey },
        });
        const pre = await stack.preview();
        console.log(pre.output.replace(/^\s*\[(urn|provider)=.*\n/gm, ""));
        if (pre.code !== 0) throw new Error("preview failed");

        step("pulumi up");
        const up = await stack.up();
        console.log(up.output);
        if (up.code !== 0) throw new Error("pulumi up failed");

        step("After: the same host");
        console.log(await kernelState(vm));
        const again = await sshExec(vm, `insmod ${unsigned}`);
        console.log(`insmod of the unsigned ${name}.ko: ${again.code === 0 ? "loaded (!)" : again.stderr.trim()}`);
        // The signature check comes before Lockdown's: the refusal is the post's Cloudflare output.
        const log = "dmesg | grep -E 'Loading of unsigned module is rejected|Lockdown:' | tail -n1";
        console.log(`kernel log: ${(await sh(vm, log)).trim()}`);
        const ok = await sshExec(vm, `insmod ${signed} && echo "the signed ${name}.ko still loads"`);
        console.log(ok.stdout.trim() || ok.stderr.trim());

        step("A second pulumi up changes nothing");
        const second = await stack.up();
        console.log(second.output.split("\n").filter((l) => /Resources:|unchanged|Duration/.test(l)).join("\n"));
        console.log(`\nStack outputs:\n${(await stack.ok(["stack", "output", "--json", "--stack", stack.name])).stdout}`);
    } finally {
        await stopVm(vm);
        stack.cleanup();
    }
}

main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
