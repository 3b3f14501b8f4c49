// Boots the shared test host once for the e2e suite and snapshots it, so each test starts from a
// pristine booted VM (QEMU loadvm, about a second) instead of a 30 s boot. The platform matrix
// (project "platforms") boots a host of its own per platform: here it only gets their images built.
import type { Config } from "@jest/types";
import { execFileSync } from "child_process";
import { writeFileSync } from "fs";
import { resolve } from "path";
import { ensureImage, imageEnvVar, Platform, snapshot, startVm } from "../harness/vm";
import { pulumiBin } from "../harness/pulumi";
import { e2eStateFile, MATRIX_PLATFORMS } from "./shared";

export default async function globalSetup(_g: Config.GlobalConfig, project: Config.ProjectConfig): Promise<void> {
    const root = resolve(__dirname, "../..");
    process.env.KH_PULUMI_DIR = pulumiBin();
    execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
    if (project.displayName?.name === "platforms") {
        // One image build at a time (debootstrap is heavy); cached, so seconds when warm.
        for (const p of MATRIX_PLATFORMS as readonly Platform[]) process.env[imageEnvVar(p)] = ensureImage(p).dir;
        return;
    }
    const image = ensureImage();
    process.env.KH_VM_IMAGE_DIR = image.dir;
    const t = Date.now();
    const vm = await startVm("shared", image);
    await snapshot(vm, "ready");
    process.stderr.write(`\n[e2e] test host up on 127.0.0.1:${vm.port} in ${((Date.now() - t) / 1000).toFixed(1)} s, snapshot "ready" saved\n`);
    writeFileSync(e2eStateFile(), JSON.stringify(vm));
    (globalThis as Record<string, unknown>).__KH_VM__ = vm;
}
