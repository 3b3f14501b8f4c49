// The quick start as a user has it: a project in an empty folder, the plugin installed from the
// release tarball (and no other: PULUMI_IGNORE_AMBIENT_PLUGINS) and the SDK from its npm tarball,
// both made by `npm run dist`; no path into this repository.
import { execFileSync } from "child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { Stack } from "../test/harness/pulumi";

const ROOT = resolve(__dirname, "..");

export async function installedQuickstart(stackName: string): Promise<Stack> {
    const release = execFileSync("bash", [join(ROOT, "scripts/dist.sh")], { stdio: ["ignore", "pipe", "inherit"] }).toString().trim();
    const version: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
    const find = (re: RegExp) => join(release, readdirSync(release).find((f) => re.test(f))!);
    const dir = mkdtempSync(join(tmpdir(), "kh-quickstart-"));
    copyFileSync(join(ROOT, "examples/quickstart/index.ts"), join(dir, "index.ts"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: kernel-hardening-quickstart\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    writeFileSync(join(dir, "package.json"), JSON.stringify({
        name: "kernel-hardening-quickstart",
        private: true,
        dependencies: { "@kernelhardening/pulumi": `file:${find(/^kernelhardening-pulumi-.*\.tgz$/)}`, "@pulumi/pulumi": "3.248.0" },
    }));
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "inherit" });
    const stack = new Stack(dir, stackName, { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" });
    await stack.ok(["plugin", "install", "resource", "kernelhardening", version, "--file", find(/^pulumi-resource-kernelhardening-.*\.tar\.gz$/)]);
    return stack;
}
