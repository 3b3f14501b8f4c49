// Reliability: concurrent applies to one host, the host lock, hostile or broken hosts, and secrets.
import { createServer, Server, Socket } from "net";
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import { join } from "path";
import { connectionFor, sh, sshExec, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm, ResourceSpec } from "./shared";

jest.setTimeout(600_000);

let vm: VmState;
const stacks: Stack[] = [];

beforeEach(async () => {
    vm = await pristineVm();
});

afterEach(() => {
    for (const s of stacks.splice(0)) s.cleanup();
});

async function stackWith(conn: Record<string, unknown>, resources: ResourceSpec[], env: NodeJS.ProcessEnv = {}) {
    const st = await newStack(conn, resources, env);
    stacks.push(st);
    return st;
}

const sysctl = (name: string, file: string, entries: Record<string, string>): ResourceSpec => ({ type: "Sysctl", name, args: { file, entries } });

test("two stacks applying to the same host at once both land", async () => {
    const a = await stackWith(connectionFor(vm), [sysctl("a", "60-a.conf", { "kernel.kptr_restrict": "2", "vm.swappiness": "11" })]);
    const b = await stackWith(connectionFor(vm), [sysctl("b", "61-b.conf", { "kernel.dmesg_restrict": "1", "vm.dirty_ratio": "17" })]);
    const [ra, rb] = await Promise.all([a.up(), b.up()]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(await sh(vm, "sysctl -n kernel.kptr_restrict vm.swappiness kernel.dmesg_restrict vm.dirty_ratio; ls /etc/sysctl.d")).toMatch(/^2\n11\n1\n17\n[\s\S]*60-a\.conf\n61-b\.conf/);
    expect((await a.preview(["--expect-no-changes"])).code).toBe(0);
    expect((await b.preview(["--expect-no-changes"])).code).toBe(0);
});

test("an apply waits for a live holder of the host lock, and a dead holder never blocks", async () => {
    // A live holder for 20 s: the apply waits, then goes on.
    await sh(vm, "mkdir -p -m 700 /run/kernelhardening; setsid sh -c 'exec 9>>/run/kernelhardening/lock; flock 9; sleep 20' </dev/null >/dev/null 2>&1 & sleep 1");
    const st = await stackWith(connectionFor(vm), [sysctl("s", "62-s.conf", { "kernel.kptr_restrict": "1" })]);
    const t = Date.now();
    const up = await st.up();
    expect(up.code).toBe(0);
    expect(Date.now() - t).toBeGreaterThan(12_000);
    expect((await sh(vm, "sysctl -n kernel.kptr_restrict")).trim()).toBe("1");

    // A holder killed with SIGKILL: the kernel drops its flock, the next apply does not wait.
    await sh(vm, "setsid sh -c 'exec 9>>/run/kernelhardening/lock; flock 9; sleep 600' </dev/null >/dev/null 2>&1 & sleep 1; pkill -KILL -f 'sleep 600'");
    await st.setConfig("resources", JSON.stringify([sysctl("s", "62-s.conf", { "kernel.kptr_restrict": "2" })]));
    const t2 = Date.now();
    const up2 = await st.up();
    expect(up2.code).toBe(0);
    expect(Date.now() - t2).toBeLessThan(60_000);
    expect((await sh(vm, "sysctl -n kernel.kptr_restrict")).trim()).toBe("2");
});

/** A TCP server on loopback that misbehaves in the given way. */
function hostileServer(behaviour: "silent" | "drop-after-banner"): Promise<{ server: Server; port: number }> {
    return new Promise((resolve) => {
        const sockets: Socket[] = [];
        const server = createServer((s) => {
            sockets.push(s);
            s.on("error", () => undefined);
            if (behaviour === "drop-after-banner") {
                s.write("SSH-2.0-OpenSSH_9.2p1\r\n");
                s.once("data", () => s.destroy());
            }
        });
        server.on("close", () => sockets.forEach((s) => s.destroy()));
        server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port }));
    });
}

test.each([
    ["silent", /no SSH handshake within the per-dial timeout|no SSH session within 3 s/],
    ["drop-after-banner", /connection closed (during the SSH handshake|before the SSH session was ready)/],
] as const)("a host that is %s fails within the dial limits with a message that says so, and nothing is applied", async (behaviour, message) => {
    const { server, port } = await hostileServer(behaviour);
    try {
        const st = await stackWith({ ...connectionFor(vm), port, perDialTimeout: 3, dialErrorLimit: 2 }, [sysctl("h", "63-h.conf", { "kernel.kptr_restrict": "2" })]);
        const t = Date.now();
        const up = await st.up();
        const elapsed = Date.now() - t;
        expect(up.code).not.toBe(0);
        expect(up.output).toMatch(message);
        expect(up.output).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}: .*gave up after 2 attempts`));
        // 2 dials of at most 3 s (+1 s slack each) on top of the CLI's own start-up.
        expect(elapsed).toBeLessThan(40_000);
        const state = await st.state();
        expect((state.deployment.resources ?? []).filter((r) => r.type === "kernelhardening:index:Sysctl")).toEqual([]);
    } finally {
        server.close();
    }
});

test("after runs with password and key authentication, no secret appears in state, CLI output or logs", async () => {
    const password = "kh-root-password";
    const key = vm.image.privateKey;
    const keyBody = key.split("\n")[1]; // a line of the key's base64, as it would appear if leaked
    const pw = await stackWith({ host: "127.0.0.1", port: vm.port, user: "root", password, hostKey: vm.image.hostPublicKey }, [sysctl("p", "64-p.conf", { "kernel.kptr_restrict": "1" })]);
    const kk = await stackWith(connectionFor(vm, "kh"), [sysctl("k", "65-k.conf", { "kernel.dmesg_restrict": "1" })]);
    const outputs: string[] = [];
    for (const st of [pw, kk]) {
        for (const r of [await st.up(), await st.preview(["--refresh", "--diff"]), await st.run(["stack", "export", "--stack", st.name]), await st.destroy()]) {
            expect(r.code).toBe(0);
            outputs.push(r.output);
        }
    }
    const files: string[] = [];
    const walk = (dir: string) => {
        if (!existsSync(dir)) return;
        for (const e of readdirSync(dir)) {
            const p = join(dir, e);
            if (statSync(p).isDirectory()) walk(p);
            else if (statSync(p).size < 50 * 1024 * 1024) files.push(p);
        }
    };
    for (const st of [pw, kk]) {
        walk(st.backend); // state, history, backups
        walk(join(st.home, "logs"));
    }
    const texts = [...outputs, ...files.map((f) => readFileSync(f, "latin1"))];
    expect(files.length).toBeGreaterThan(3);
    const hits = texts.filter((t) => t.includes(password) || t.includes(keyBody)).length;
    expect(hits).toBe(0);
});

test("unusual but valid input lands byte for byte and never runs: quotes, $( ), backticks, semicolons", async () => {
    const pattern = "core.%p.$(touch /tmp/kh-canary).`touch /tmp/kh-canary`;touch /tmp/kh-canary 'q' \"d\" \\x";
    const comment = "$(touch /tmp/kh-canary) `id` ; rm -rf /tmp/x | sh";
    for (const user of ["root", "kh"]) {
        await sh(vm, "rm -f /tmp/kh-canary");
        const st = await stackWith(connectionFor(vm, user), [{ type: "Sysctl", name: "odd", args: { file: "66-odd.conf", comment, entries: { "kernel.core_pattern": pattern } } }]);
        const up = await st.up();
        expect(up.code).toBe(0);
        expect(await sh(vm, "cat /proc/sys/kernel/core_pattern")).toBe(pattern + "\n");
        const file = await sh(vm, "cat /etc/sysctl.d/66-odd.conf");
        expect(file).toContain(`\n# ${comment}\n`);
        expect(file).toContain(`\nkernel.core_pattern = ${pattern}\n`);
        expect((await sshExec(vm, "test -e /tmp/kh-canary")).code).not.toBe(0);
        expect((await st.destroy()).code).toBe(0);
    }
});
