// Sysctl end to end: the real Pulumi CLI, the provider plugin and a Debian 12 VM over SSH.
import { readFileSync, rmSync, existsSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { connectionFor, sh, sshExec, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm, ResourceSpec, setResources } from "./shared";

jest.setTimeout(600_000);

const POST = {
    "kernel.kptr_restrict": "2",
    "kernel.dmesg_restrict": "1",
    "net.ipv4.ip_local_port_range": "32768\t60999",
};

function sysctl(args: Record<string, unknown>, name = "post"): ResourceSpec {
    return { type: "Sysctl", name, args: { file: "90-post.conf", ...args } };
}

let vm: VmState;
let stack: Stack | undefined;

beforeEach(async () => {
    vm = await pristineVm();
});

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

async function live(key: string): Promise<string> {
    return (await sh(vm, `cat /proc/sys/${key.replace(/\./g, "/")}`)).trim();
}

test("create sets the post's values live and persists them; a second up changes nothing and writes nothing", async () => {
    expect(await live("kernel.kptr_restrict")).toBe("0");
    stack = await newStack(connectionFor(vm), [sysctl({ entries: POST, comment: "From the Cloudflare post" })]);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.output).toMatch(/\+ 2 created/);

    expect(await live("kernel.kptr_restrict")).toBe("2");
    expect(await sh(vm, "cat /etc/sysctl.d/90-post.conf")).toBe(
        "# Managed by Pulumi (kernelhardening:index:Sysctl). Edits made here are reverted by `pulumi up`.\n# From the Cloudflare post\nkernel.dmesg_restrict = 1\nkernel.kptr_restrict = 2\nnet.ipv4.ip_local_port_range = 32768 60999\n",
    );
    expect(await sh(vm, "stat -c '%a %U %G' /etc/sysctl.d/90-post.conf")).toBe("644 root root\n");
    // What the next boot applies is what we set: systemd-sysctl reads the same file.
    await sh(vm, "sysctl -w kernel.kptr_restrict=0 && /lib/systemd/systemd-sysctl");
    expect(await live("kernel.kptr_restrict")).toBe("2");

    const mtime = await sh(vm, "stat -c %Y.%y /etc/sysctl.d/90-post.conf");
    const again = await stack.up();
    expect(again.code).toBe(0);
    expect(again.output).not.toMatch(/updated|created|deleted/);
    const pre = await stack.preview(["--expect-no-changes"]);
    expect(pre.code).toBe(0);
    expect(await sh(vm, "stat -c %Y.%y /etc/sysctl.d/90-post.conf")).toBe(mtime);
    expect(await sh(vm, "ls -a /etc/sysctl.d")).not.toMatch(/kh-/);

    const outs = await stack.outputsOf("kernelhardening:index:Sysctl", "post");
    expect(outs.previousValues).toEqual({ "kernel.dmesg_restrict": "1", "kernel.kptr_restrict": "0", "net.ipv4.ip_local_port_range": "32768 60999" });
    expect(outs.liveValues["kernel.kptr_restrict"]).toBe("2");
});

test("drift made by hand shows in previews and up corrects it; delete restores the values from before", async () => {
    stack = await newStack(connectionFor(vm), [sysctl({ entries: POST })]);
    expect((await stack.up()).code).toBe(0);

    await sh(vm, "sysctl -w kernel.kptr_restrict=1 >/dev/null && sed -i 's/dmesg_restrict = 1/dmesg_restrict = 0/' /etc/sysctl.d/90-post.conf");
    const refreshed = await stack.preview(["--refresh"]);
    expect(refreshed.code).toBe(0);
    expect(refreshed.output).toMatch(/~ kernel\.kptr_restrict\s*: "1" => "2"/);
    expect(refreshed.output).toMatch(/~ kernel\.dmesg_restrict\s*: "0" => "1"/);
    // Plain preview shows it too: the engine refreshes the resource before planning its update.
    const plain = await stack.preview();
    expect(plain.output).toMatch(/~ kernel\.kptr_restrict\s*: "1" => "2"/);

    const fix = await stack.up();
    expect(fix.code).toBe(0);
    expect(fix.output).toMatch(/~ 1 updated/);
    expect(await live("kernel.kptr_restrict")).toBe("2");
    expect(await sh(vm, "grep dmesg /etc/sysctl.d/90-post.conf")).toBe("kernel.dmesg_restrict = 1\n");
    expect((await stack.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);

    const destroy = await stack.destroy();
    expect(destroy.code).toBe(0);
    expect(await live("kernel.kptr_restrict")).toBe("0");
    expect((await sshExec(vm, "test -e /etc/sysctl.d/90-post.conf")).code).not.toBe(0);
});

test("a value the kernel rejects fails with the key and the reason, and nothing is persisted or left changed", async () => {
    stack = await newStack(connectionFor(vm), [sysctl({ entries: { "kernel.kptr_restrict": "2", "vm.mmap_rnd_bits": "99" } })]);
    const up = await stack.up();
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/the kernel rejected vm\.mmap_rnd_bits = "99": Invalid argument/);
    expect(up.output).toMatch(/127\.0\.0\.1:\d+/);
    expect(await live("kernel.kptr_restrict")).toBe("0");
    expect((await sshExec(vm, "test -e /etc/sysctl.d/90-post.conf")).code).not.toBe(0);

    await setResources(stack, [sysctl({ entries: { "kernel.kptr_restrict": "2", "kernel.no_such_key": "1" } })]);
    const unknown = await stack.up();
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toMatch(/kernel\.no_such_key = "1": no such key on this kernel/);
    expect((await sshExec(vm, "test -e /etc/sysctl.d/90-post.conf")).code).not.toBe(0);
});

test("bad input fails at preview naming the property, before any host is contacted", async () => {
    stack = await newStack({ ...connectionFor(vm), port: 1 }, [
        sysctl({ file: "../evil.conf", entries: { "kernel.kptr_restrict": "2\nkernel.modules_disabled=1", "bad key": "1" } }),
    ]);
    const pre = await stack.preview();
    expect(pre.code).not.toBe(0);
    expect(pre.output).toMatch(/file: must be a plain file name ending in \.conf/);
    expect(pre.output).toMatch(/entries\["kernel\.kptr_restrict"\]: must not contain a newline/);
    expect(pre.output).toMatch(/entries\["bad key"\]: "bad key" is not a sysctl key/);
    await setResources(stack, [sysctl({ entries: { "kernel.kexec_load_disabled": "1" } })]);
    const oneWay = await stack.preview();
    expect(oneWay.code).not.toBe(0);
    expect(oneWay.output).toMatch(/kernel\.kexec_load_disabled=1 cannot be undone until the host reboots; set allowOneWayKeys/);
    expect(pre.output + oneWay.output).not.toMatch(/connection refused|127\.0\.0\.1:1\b/);
});

test("works as a non-root user through sudo, and counts one round trip per read and one per apply (one read for a plain up)", async () => {
    const trace = join(tmpdir(), `kh-trace-${process.pid}.jsonl`);
    rmSync(trace, { force: true });
    stack = await newStack(connectionFor(vm, "kh"), [sysctl({ entries: POST })], { KH_TRACE_FILE: trace });
    expect((await stack.up()).code).toBe(0);
    expect(await live("kernel.kptr_restrict")).toBe("2");
    const ops = () => (existsSync(trace) ? readFileSync(trace, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).op).filter((op) => op !== "cancel") : []);
    expect(ops()).toEqual(["sysctl.apply"]); // create: one round trip

    rmSync(trace, { force: true });
    expect((await stack.up()).code).toBe(0);
    expect(ops()).toEqual(["sysctl.observe"]); // no-op up: one read

    rmSync(trace, { force: true });
    await sh(vm, "sysctl -w kernel.kptr_restrict=0");
    expect((await stack.up()).code).toBe(0);
    expect(ops()).toEqual(["sysctl.observe", "sysctl.apply"]); // drift: one read, one apply

    // What users type: a plain `up` is a preview and then the update, each in a provider process of its
    // own; the update applies to what its preview read (read-cache.ts), so the host is still read once.
    rmSync(trace, { force: true });
    await sh(vm, "sysctl -w kernel.kptr_restrict=0");
    const plain = await stack.run(["up", "--yes", "--stack", stack.name]);
    expect(plain.code).toBe(0);
    expect(plain.output).toMatch(/~ 1 updated/);
    expect(ops()).toEqual(["sysctl.observe", "sysctl.apply"]);
    expect(await live("kernel.kptr_restrict")).toBe("2");
    rmSync(trace, { force: true });
    expect((await stack.run(["up", "--yes", "--stack", stack.name])).output).not.toMatch(/updated|created|deleted/);
    expect(ops()).toEqual(["sysctl.observe"]);
    // A later preview is another CLI run: it reads the host again and shows drift made since.
    await sh(vm, "sysctl -w kernel.kptr_restrict=1");
    expect((await stack.preview()).output).toMatch(/kernel\.kptr_restrict/);

    rmSync(trace, { force: true });
    expect((await stack.destroy()).code).toBe(0);
    expect(ops()).toEqual(["sysctl.observe", "sysctl.apply"]);
    expect(await live("kernel.kptr_restrict")).toBe("0");
});

test("a file that wins at boot is reported as a warning and in overriddenBy", async () => {
    await sh(vm, "printf 'kernel.kptr_restrict = 1\\n' > /etc/sysctl.d/99-zz-local.conf");
    stack = await newStack(connectionFor(vm), [sysctl({ entries: { "kernel.kptr_restrict": "2" } })]);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.output).toMatch(/kernel\.kptr_restrict: \/etc\/sysctl\.d\/99-zz-local\.conf sets it to "1" after \/etc\/sysctl\.d\/90-post\.conf at boot/);
    const outs = await stack.outputsOf("kernelhardening:index:Sysctl", "post");
    expect(outs.overriddenBy).toEqual([{ key: "kernel.kptr_restrict", file: "/etc/sysctl.d/99-zz-local.conf", value: "1" }]);
});

test("host key, authentication and sudo failures are clear and never print a secret", async () => {
    const other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKbZbQx3oQmT0SAQ8CNRe0vUW6dP2C3B0vl3hCkcXJ3V";
    stack = await newStack({ ...connectionFor(vm), hostKey: other, dialErrorLimit: 1 }, [sysctl({ entries: POST })]);
    const wrongKey = await stack.up();
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.output).toMatch(/host key verification failed for 127\.0\.0\.1:\d+: the host presented ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}, expected ssh-ed25519 SHA256:/);
    stack.cleanup();

    const password = "not-the-password-8472";
    const conn = { host: "127.0.0.1", port: vm.port, user: "root", password, hostKey: vm.image.hostPublicKey, dialErrorLimit: 1 };
    stack = await newStack(conn, [sysctl({ entries: POST })]);
    const badPw = await stack.up();
    expect(badPw.code).not.toBe(0);
    expect(badPw.output).toMatch(/127\.0\.0\.1:\d+: authentication failed/);
    expect(badPw.output).not.toContain(password);
    const state = JSON.stringify(await stack.state());
    expect(state).not.toContain(password);
    stack.cleanup();

    stack = await newStack(connectionFor(vm, "khpw"), [sysctl({ entries: POST })]);
    const sudoPw = await stack.up();
    expect(sudoPw.code).not.toBe(0);
    expect(sudoPw.output).toMatch(/sudo asks user khpw for a password/);
});

test("a rotated host key: up with the old pin fails on the key, up with the new pin reconnects and records it", async () => {
    stack = await newStack(connectionFor(vm), [sysctl({ entries: POST })]);
    expect((await stack.up()).code).toBe(0);
    const rotated = (await sh(vm, "rm -f /etc/ssh/ssh_host_ed25519_key*; ssh-keygen -q -t ed25519 -N '' -C rotated -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh && cat /etc/ssh/ssh_host_ed25519_key.pub")).trim();
    expect(rotated).not.toBe(vm.image.hostPublicKey.trim());

    // The program still pins the old key: the refresh keeps the recorded state with a warning, and the
    // update it then plans refuses the host, so nothing is applied to a host we cannot verify.
    await sh(vm, "sysctl -w kernel.kptr_restrict=0 >/dev/null");
    const old = await stack.up();
    expect(old.code).not.toBe(0);
    expect(old.output).toMatch(/could not refresh: host key verification failed/);
    expect(old.output).toMatch(/error:[\s\S]*host key verification failed for 127\.0\.0\.1:\d+: the host presented ssh-ed25519/);
    expect(await live("kernel.kptr_restrict")).toBe("0");

    // The new key in the program: up reconnects with it, corrects the drift and records the new pin.
    await stack.setConfig("connection", JSON.stringify({ ...connectionFor(vm), hostKey: rotated }), true);
    const fixed = await stack.up();
    expect(fixed.code).toBe(0);
    expect(fixed.output).toMatch(/~ 1 updated/);
    expect(await live("kernel.kptr_restrict")).toBe("2");
    const outs = await stack.outputsOf("kernelhardening:index:Sysctl", "post");
    const conn = typeof outs.connection?.plaintext === "string" ? JSON.parse(outs.connection.plaintext) : outs.connection;
    expect(conn.hostKey).toBe(rotated);
    expect(outs).not.toHaveProperty("__refreshRefused");
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
});

test("password authentication works and the password stays a secret in state", async () => {
    const password = "kh-root-password";
    const conn = { host: "127.0.0.1", port: vm.port, user: "root", password, hostKey: vm.image.hostPublicKey };
    stack = await newStack(conn, [sysctl({ entries: { "kernel.kptr_restrict": "1" } })]);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.output).not.toContain(password);
    expect(await live("kernel.kptr_restrict")).toBe("1");
    const raw = readFileSync(join(stack.backend, `.pulumi/stacks/kh-e2e/${stack.name}.json`), "utf8");
    expect(raw).not.toContain(password);
    expect(raw).toContain("ciphertext");
});

test("import adopts an existing drop-in; the next preview shows no changes", async () => {
    await sh(vm, "printf '# tuned by hand\\nkernel.kptr_restrict=2\\n  kernel.dmesg_restrict = 1\\n' > /etc/sysctl.d/80-legacy.conf && sysctl -p /etc/sysctl.d/80-legacy.conf >/dev/null");
    const id = `root@127.0.0.1:${vm.port}:/etc/sysctl.d/80-legacy.conf`;
    const spec = { type: "Sysctl", name: "legacy", import: id, args: { file: "80-legacy.conf", comment: "tuned by hand", entries: { "kernel.kptr_restrict": "2", "kernel.dmesg_restrict": "1" } } };
    stack = await newStack(connectionFor(vm), [spec]);
    // The engine sends an import only the id: the host is read with the provider's connection.
    await stack.setConfig("kernelhardening:connection", JSON.stringify(connectionFor(vm)), true);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.output).toMatch(/= 1 imported/);
    const mtime = await sh(vm, "stat -c %Y /etc/sysctl.d/80-legacy.conf");
    const pre = await stack.preview(["--expect-no-changes"]);
    expect(pre.code).toBe(0);
    expect((await stack.up()).output).not.toMatch(/updated/);
    expect(await sh(vm, "stat -c %Y /etc/sysctl.d/80-legacy.conf")).toBe(mtime);
    // A real change takes the file over, with our header.
    await setResources(stack, [{ ...spec, import: undefined, args: { ...spec.args, entries: { "kernel.kptr_restrict": "1", "kernel.dmesg_restrict": "1" } } }]);
    const change = await stack.up();
    expect(change.code).toBe(0);
    expect(await sh(vm, "head -n1 /etc/sysctl.d/80-legacy.conf; sysctl -n kernel.kptr_restrict")).toBe("# Managed by Pulumi (kernelhardening:index:Sysctl). Edits made here are reverted by `pulumi up`.\n1\n");
});

test("reaches a host through a jump host (proxy), both host keys pinned", async () => {
    // The VM is its own jump host: the provider connects to it, then forwards to its 127.0.0.1:22.
    const jump = connectionFor(vm);
    const target = { host: "127.0.0.1", port: 22, user: "kh", privateKey: vm.image.privateKey, hostKey: vm.image.hostPublicKey, proxy: jump };
    stack = await newStack(target, [sysctl({ entries: { "kernel.kptr_restrict": "2" } })]);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(await live("kernel.kptr_restrict")).toBe("2");
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
});
