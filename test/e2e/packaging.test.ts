// Installed like any Pulumi provider, from the release artifacts of `npm run dist` only: projects made
// in empty temporary folders (no `plugins:` block, PULUMI_IGNORE_AMBIENT_PLUGINS=true so only the
// plugin installed from the tarball can be used), the SDK from its npm tarball or wheel, the real CLI
// against the VM.
import { execFileSync } from "child_process";
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { connectionFor, sh, VmState } from "../harness/vm";
import { pulumiBin, Stack } from "../harness/pulumi";
import { pristineVm } from "./shared";

jest.setTimeout(1_200_000);

const ROOT = resolve(__dirname, "../..");
const VERSION: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
const dirs: string[] = [];
let release: string;
let home: string;
let sdkTools: string;

function temp(prefix: string): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
}

function artifact(pattern: RegExp): string {
    const f = readdirSync(release).find((n) => pattern.test(n));
    if (!f) throw new Error(`no ${pattern} in ${release}`);
    return join(release, f);
}

/** Environment of a user's shell: only the installed plugin, no plugin downloads. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
        PULUMI_HOME: home,
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        ...extra,
    };
}

function pulumi(args: string[], cwd = tmpdir()): string {
    return execFileSync(join(pulumiBin(), "pulumi"), args, { cwd, env: { ...process.env, ...env() }, encoding: "utf8" });
}

beforeAll(() => {
    release = execFileSync("bash", [join(ROOT, "scripts/dist.sh")], { stdio: ["ignore", "pipe", "inherit"] }).toString().trim();
    sdkTools = process.env.KH_SDK_TOOLS_DIR ?? execFileSync("bash", [join(ROOT, "scripts/build-sdk-tools.sh")]).toString().trim();
    home = temp("kh-user-home-");
    const tarball = artifact(new RegExp(`^pulumi-resource-kernelhardening-v${VERSION}-linux-amd64\\.tar\\.gz$`));
    pulumi(["plugin", "install", "resource", "kernelhardening", VERSION, "--file", tarball]);
});

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("the installed plugin serves exactly schema.json, and is a single executable", () => {
    const plugins = pulumi(["plugin", "ls", "--json"]);
    expect(JSON.parse(plugins)).toEqual([expect.objectContaining({ name: "kernelhardening", kind: "resource", version: VERSION })]);
    expect(pulumi(["package", "get-schema", "kernelhardening"])).toBe(readFileSync(join(ROOT, "schema.json"), "utf8"));
    const dir = join(home, "plugins", `resource-kernelhardening-v${VERSION}`);
    // No provider.js beside it: the bundle is inside the executable, with the Node.js runtime.
    expect(readdirSync(dir).sort()).toEqual(expect.arrayContaining(["pulumi-resource-kernelhardening", "schema.json", "provider"]));
    expect(readdirSync(dir)).not.toContain("provider.js");
    expect(readdirSync(join(dir, "provider/host"))).toContain("prelude.sh");
});

test("the npm package names the plugin; the wheel carries pulumi-plugin.json", () => {
    const tgz = artifact(/^kernelhardening-pulumi-.*\.tgz$/);
    const pkg = JSON.parse(execFileSync("tar", ["-xzOf", tgz, "package/package.json"], { encoding: "utf8" }));
    expect([pkg.name, pkg.version, pkg.pulumi]).toEqual(["@kernelhardening/pulumi", VERSION, { resource: true, name: "kernelhardening", version: VERSION }]);
    expect(pkg.repository).toBeDefined();
    const whl = artifact(/^pulumi_kernelhardening-.*\.whl$/);
    const plugin = execFileSync("python3", ["-c", "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read('pulumi_kernelhardening/pulumi-plugin.json').decode())", whl], { encoding: "utf8" });
    expect(JSON.parse(plugin)).toEqual({ resource: true, name: "kernelhardening", version: VERSION });
});

test("the Go SDK compiles and passes go vet against sdk/v3 at the CLI's version; the Go example builds", () => {
    const goEnv = { ...process.env, GOFLAGS: "-mod=mod -buildvcs=false" };
    const cwd = join(ROOT, "examples/go");
    const sdkPkg = "example.invalid/kernel-hardening-as-code/pulumi-kernelhardening/sdk/go/...";
    expect(execFileSync("go", ["list", "-m", "-f", "{{.Version}}", "github.com/pulumi/pulumi/sdk/v3"], { cwd, env: goEnv, encoding: "utf8" }).trim()).toBe("v3.248.0");
    execFileSync("go", ["vet", "./...", sdkPkg], { cwd, env: goEnv, stdio: "inherit" });
    const out = temp("kh-go-example-");
    execFileSync("go", ["build", "-o", join(out, "example"), "."], { cwd, env: goEnv, stdio: "inherit" });
});

interface Project {
    dir: string;
    stack: Stack;
}

async function project(files: Record<string, string>, vm: VmState, extraEnv: NodeJS.ProcessEnv = {}): Promise<Project> {
    const dir = temp("kh-user-project-");
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const stack = new Stack(dir, "dev", env(extraEnv));
    await stack.init({ connection: { value: JSON.stringify(connectionFor(vm)), secret: true } });
    return { dir, stack };
}

/** up, a second up that changes nothing, then drift made by hand shown by a plain preview. */
async function upTwiceThenDrift(p: Project, vm: VmState): Promise<void> {
    const up = await p.stack.up();
    // stack, explicit provider, component, 2 Sysctls
    expect([up.code, up.output]).toEqual([0, expect.stringMatching(/\+ 5 created/)]);
    expect((await sh(vm, "sysctl -n kernel.kptr_restrict vm.swappiness")).split("\n").slice(0, 2)).toEqual(["2", "10"]);
    const second = await p.stack.up();
    expect([second.code, second.output]).toEqual([0, expect.not.stringMatching(/updated|created|deleted|replaced/)]);
    const again = await p.stack.preview(["--expect-no-changes"]);
    expect([again.code, again.output]).toEqual([0, expect.stringMatching(/5 unchanged/)]);
    // The provider that ran is the installed one, at the release's version.
    const st = await p.stack.state();
    const provider = (st.deployment.resources ?? []).find((r) => r.type === "pulumi:providers:kernelhardening");
    expect(provider?.outputs?.version).toBe(VERSION);

    await sh(vm, "sysctl -qw vm.swappiness=60");
    const drift = await p.stack.preview();
    expect(drift.code).toBe(0);
    expect(drift.output).toMatch(/~ kernelhardening:index:Sysctl: \(update\)/);
    expect(drift.output).toMatch(/~ vm\.swappiness\s*: "60" => "10"/);
}

const TS_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as kh from "@kernelhardening/pulumi";

const connection = new pulumi.Config().requireSecretObject<kh.types.input.ConnectionArgs>("connection");
// The connection named once, on an explicit provider; the Sysctl takes it from there.
const web1 = new kh.Provider("web-1", { connection });
const hardening = new kh.KernelHardening("web", { connection, profile: kh.types.enums.Profile.Baseline });
new kh.Sysctl("tuning", { file: "90-tuning.conf", entries: { "vm.swappiness": "10" } }, { provider: web1 });
export const profile = hardening.profile;
`;

test("TypeScript outside the repository: npm tarball and installed plugin; up, no-op up, drift in preview", async () => {
    const vm = await pristineVm();
    const tgz = artifact(/^kernelhardening-pulumi-.*\.tgz$/);
    const p = await project({
        "Pulumi.yaml": "name: kh-user-ts\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
        "package.json": JSON.stringify({ name: "kh-user-ts", private: true, dependencies: { "@kernelhardening/pulumi": `file:${tgz}`, "@pulumi/pulumi": "3.248.0" } }),
        "tsconfig.json": JSON.stringify({ compilerOptions: { strict: true, target: "ES2020", module: "commonjs", esModuleInterop: true, skipLibCheck: true }, files: ["index.ts"] }),
        "index.ts": TS_PROGRAM,
    }, vm);
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: p.dir, stdio: "inherit" });
    try {
        await upTwiceThenDrift(p, vm);
    } finally {
        p.stack.cleanup();
    }
});

const PY_PROGRAM = `import pulumi
import pulumi_kernelhardening as kh

connection = pulumi.Config().require_secret_object("connection")
# The connection named once, on an explicit provider; the Sysctl takes it from there.
web1 = kh.Provider("web-1", connection=connection)
hardening = kh.KernelHardening("web", connection=connection, profile=kh.Profile.BASELINE)
kh.Sysctl("tuning", file="90-tuning.conf", entries={"vm.swappiness": "10"}, opts=pulumi.ResourceOptions(provider=web1))
pulumi.export("profile", hardening.profile)
`;

test("Python outside the repository: wheel in a virtualenv, pulumi from PyPI; up, no-op up, drift in preview", async () => {
    const vm = await pristineVm();
    const whl = artifact(/^pulumi_kernelhardening-.*\.whl$/);
    // The Python language host (sdk v3.68.0) and its exec helper: the CLI takes its bundled language
    // hosts only from its own folder (not PATH, not `plugin install`), so a copy of the CLI gets them.
    const cli = temp("kh-python-cli-");
    for (const f of readdirSync(pulumiBin())) copyFileSync(join(pulumiBin(), f), join(cli, f));
    for (const f of ["pulumi-language-python", "pulumi-language-python-exec"]) copyFileSync(join(sdkTools, f), join(cli, f));
    for (const f of readdirSync(cli)) chmodSync(join(cli, f), 0o755);
    // The v3.68.0 host takes `virtualenv` as a command-line flag, which this CLI no longer passes (it
    // sends runtime options in the run request): so the virtualenv is the first python3 on PATH.
    const venv = temp("kh-python-venv-");
    execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
    execFileSync(join(venv, "bin/pip"), ["install", "--quiet", "pulumi==3.248.0", whl], { stdio: "inherit" });
    const p = await project({
        "Pulumi.yaml": "name: kh-user-py\nruntime:\n  name: python\n",
        "__main__.py": PY_PROGRAM,
    }, vm, { PATH: `${join(venv, "bin")}:${cli}:${process.env.PATH}`, VIRTUAL_ENV: venv });
    try {
        await upTwiceThenDrift(p, vm);
    } finally {
        p.stack.cleanup();
    }
});
