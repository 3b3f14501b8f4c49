// Boots the shared test host once for the e2e suite and snapshots it, so each test starts from a
// pristine booted VM (QEMU loadvm, about a second) instead of a 30 s boot.
import { execFileSync } from "child_process";
import { writeFileSync } from "fs";
import { resolve } from "path";
import { ensureImage, snapshot, startVm } from "../harness/vm";
import { pulumiBin } from "../harness/pulumi";
import { e2eStateFile } from "./shared";

export default async function globalSetup(): Promise<void> {
    const root = resolve(__dirname, "../..");
    process.env.KH_PULUMI_DIR = pulumiBin();
    execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
    const image = ensureImage();
    process.env.KH_VM_IMAGE_DIR = image.dir;
    const t = Date.now();
    const vm = await startVm("shared", image);
    await snapshot(vm, "ready");
    process.stderr.write(`\n[e2e] test host up on 127.0.0.1:${vm.port} in ${((Date.now() - t) / 1000).toFixed(1)} s, snapshot "ready" saved\n`);
    writeFileSync(e2eStateFile(), JSON.stringify(vm));
    (globalThis as Record<string, unknown>).__KH_VM__ = vm;
}
