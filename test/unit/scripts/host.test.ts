// host.ts's functions over the real scripts: runScript is replaced by a run of the script text it
// is given, under dash, against a fake tree, so what the provider makes of a host's answer (errors
// included) is tested from records the script really printed.
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import * as run from "../../../provider/host/run";
import { applySysctl, observeSysctl } from "../../../provider/resources/sysctl/host";
import { applyBlocklist } from "../../../provider/resources/modules/host";
import { planApply } from "../../../provider/resources/sysctl/plan";
import { renderBlocklist } from "../../../provider/resources/modules/model";
import { SysctlInputsSchema } from "../../../provider/resources/sysctl/model";
import { cleanup, entryNow, prepare, scriptEnv } from "./harness";

const conn = { host: "h", port: 22 } as Parameters<typeof applySysctl>[0];
let env: ReturnType<typeof prepare>;

function fakeHost(c: Parameters<typeof prepare>[0]) {
    env = prepare(c);
    jest.spyOn(run, "runScript").mockImplementation(async (_c, script, stdin) => {
        const r = spawnSync("dash", ["-c", script], { argv0: "sh", input: stdin, env: scriptEnv(env), encoding: "utf8" });
        return { code: r.status ?? -1, stdout: Buffer.from(r.stdout), stderr: r.stderr };
    });
}

afterEach(() => {
    jest.restoreAllMocks();
    cleanup(env.dir);
});

const inputs = (entries: Record<string, string>, extra: Record<string, unknown> = {}) =>
    SysctlInputsSchema.parse({ connection: { host: "h" }, file: "90-post.conf", entries, allowOneWayKeys: true, ...extra });

test("observe decodes every field, a file name made to forge a record included", async () => {
    const evil = "x\nlive\tkernel.kptr_restrict\tMg==\n.conf";
    fakeHost({ tree: { "proc/sys/kernel/kptr_restrict": "0\n", [`etc/sysctl.d/${evil}`]: "vm.swappiness = 1\n" } });
    const obs = await observeSysctl(conn, "90-post.conf", ["kernel.kptr_restrict"]);
    expect(obs.live).toEqual({ "kernel.kptr_restrict": "0" });
    expect(obs.confFiles).toEqual([{ dir: "/etc/sysctl.d", name: evil, content: "vm.swappiness = 1\n" }]);
});

test("0x1 for a one-way key is written, recorded and verified as 1", async () => {
    fakeHost({ tree: { "proc/sys/kernel/kexec_load_disabled": "0\n", "etc/sysctl.d/README": "" }, kernel: { "kernel/kexec_load_disabled": "oneway 1" } });
    const inp = inputs({ "kernel.kexec_load_disabled": "0x1" });
    expect(inp.entries).toEqual({ "kernel.kexec_load_disabled": "1" });
    const obs = await applySysctl(conn, planApply(inp, {}));
    expect(obs.live).toEqual({ "kernel.kexec_load_disabled": "1" });
    expect(readFileSync(join(env.root, "etc/sysctl.d/90-post.conf"), "utf8")).toMatch(/\nkernel\.kexec_load_disabled = 1\n$/);
});

test("an integer another key's kernel prints differently (0x10 is 16) verifies", async () => {
    fakeHost({ tree: { "proc/sys/vm/swappiness": "60\n", "etc/sysctl.d/README": "" }, kernel: { "vm/swappiness": "int" } });
    const obs = await applySysctl(conn, planApply(inputs({ "vm.swappiness": "0x10" }), {}));
    expect(obs.live).toEqual({ "vm.swappiness": "16" });
});

test("a failed rollback is reported as exactly that, naming the key left changed", async () => {
    fakeHost({
        tree: { "proc/sys/kernel/modules_disabled": "0\n", "proc/sys/vm/mmap_rnd_bits": "28\n" },
        kernel: { "kernel/modules_disabled": "oneway 1", "vm/mmap_rnd_bits": "reject" },
    });
    const plan = planApply(inputs({ "kernel.modules_disabled": "01", "vm.mmap_rnd_bits": "99" }), {});
    await expect(applySysctl(conn, plan)).rejects.toThrow(
        'h:22: the kernel rejected vm.mmap_rnd_bits = "99": Invalid argument; nothing was persisted, but restoring the keys already set failed: kernel.modules_disabled: Invalid argument',
    );
    expect(entryNow(env.root, "etc/sysctl.d/90-post.conf")).toBeNull();
});

test("a rejected value whose rollback works says the keys were restored", async () => {
    fakeHost({ tree: { "proc/sys/kernel/kptr_restrict": "0\n", "proc/sys/vm/mmap_rnd_bits": "28\n" }, kernel: { "vm/mmap_rnd_bits": "reject" } });
    await expect(applySysctl(conn, planApply(inputs({ "kernel.kptr_restrict": "2", "vm.mmap_rnd_bits": "99" }), {}))).rejects.toThrow(
        /rejected vm\.mmap_rnd_bits = "99": Invalid argument; nothing was persisted and keys already set were restored$/,
    );
});

test("a read-only /proc/sys is named as the cause", async () => {
    fakeHost({ tree: { "proc/sys/kernel/kptr_restrict": "0\n" }, kernel: { "kernel/kptr_restrict": "readonly" } });
    await expect(applySysctl(conn, planApply(inputs({ "kernel.kptr_restrict": "2" }), {}))).rejects.toThrow(
        "h:22: /proc/sys is read-only on this host (mounted read-only, as in a container), so kernel.kptr_restrict cannot be set; nothing was persisted",
    );
    expect(entryNow(env.root, "etc/sysctl.d/90-post.conf")).toBeNull();
});

test("a file that is not ours is refused at create, taken over with adopt, and put back on delete", async () => {
    const tree = { "proc/sys/kernel/kptr_restrict": "0\n", "etc/sysctl.conf": "kernel.kptr_restrict = 1\n", "etc/sysctl.d/99-sysctl.conf": { link: "../sysctl.conf" } };
    fakeHost({ tree });
    const want = (adopt: boolean) => inputs({ "kernel.kptr_restrict": "2" }, { file: "99-sysctl.conf", adopt });
    await expect(applySysctl(conn, planApply(want(false), {}))).rejects.toThrow(
        /h:22: \/etc\/sysctl\.d\/99-sysctl\.conf exists and was not written by this provider .*set adopt: true/,
    );
    expect(entryNow(env.root, "proc/sys/kernel/kptr_restrict")).toBe("0\n");
    await applySysctl(conn, planApply(want(true), {}));
    expect(entryNow(env.root, "etc/sysctl.d/99-sysctl.conf")).toMatch(/^# Managed by Pulumi/);
    await applySysctl(conn, { file: "99-sysctl.conf", content: "delete", sets: [{ key: "kernel.kptr_restrict", value: "0" }], keys: [] });
    expect(entryNow(env.root, "etc/sysctl.d/99-sysctl.conf")).toEqual({ link: "../sysctl.conf" });
    expect(entryNow(env.root, "etc/sysctl.conf")).toBe("kernel.kptr_restrict = 1\n");
});

test("ModuleBlocklist: blacklist.conf refused, adopted, put back", async () => {
    fakeHost({ tree: { "proc/modules": "", "etc/modprobe.d/blacklist.conf": "blacklist evbug\n" } });
    const text = renderBlocklist(["udf"]);
    await expect(applyBlocklist(conn, "blacklist.conf", text)).rejects.toThrow(/modprobe\.d\/blacklist\.conf exists and was not written by this provider/);
    expect(entryNow(env.root, "etc/modprobe.d/blacklist.conf")).toBe("blacklist evbug\n");
    expect((await applyBlocklist(conn, "blacklist.conf", text, true)).file).toBe(text);
    expect((await applyBlocklist(conn, "blacklist.conf", "delete")).file).toBe("blacklist evbug\n");
});
