// A hostile host beside a healthy one, in one `pulumi up` (one provider process serves both): the
// healthy host (the VM) converges, the hostile one (an SSH server of ours on 127.0.0.1) fails with a
// clear error, and the provider's memory stays bounded. Hostile behaviours: 256 MiB of output, a
// command that never exits, stderr full of terminal escapes that quotes the password it was given.
import { readdirSync, readFileSync } from "fs";
import { AddressInfo } from "net";
import { Server, ServerChannel, utils } from "ssh2";
import { connectionFor, sh, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm, ResourceSpec } from "./shared";

jest.setTimeout(600_000);

const KEY = utils.generateKeyPairSync("ed25519");
const PASSWORD = "Q9"; // short on purpose: secrets of any length are scrubbed

type Behaviour = (stream: ServerChannel, password: string) => void;

function hostile(behaviour: Behaviour): Promise<{ port: number; close: () => void }> {
    const srv = new Server({ hostKeys: [KEY.private] }, (client) => {
        let password = "";
        client.on("error", () => undefined);
        client.on("authentication", (ctx) => {
            if (ctx.method !== "password") return ctx.reject(["password"]);
            password = ctx.password; // a hostile host learns a password given to it
            ctx.accept();
        });
        client.on("ready", () =>
            client.on("session", (accept) =>
                accept().on("exec", (acceptExec) => {
                    const stream = acceptExec();
                    stream.on("error", () => undefined);
                    behaviour(stream, password);
                }),
            ),
        );
    });
    return new Promise((resolve) =>
        srv.listen(0, "127.0.0.1", () => resolve({ port: (srv.address() as AddressInfo).port, close: () => srv.close() })),
    );
}

const flood: Behaviour = (stream) => {
    const chunk = Buffer.alloc(1024 * 1024, 0x42);
    let sent = 0;
    let closed = false;
    stream.on("close", () => (closed = true));
    const pump = () => {
        while (!closed && sent < 256) {
            sent++;
            if (!stream.write(chunk)) return void stream.once("drain", pump);
        }
        if (!closed) {
            stream.exit(0);
            stream.end();
        }
    };
    pump();
};

/** RSS in MiB of the provider processes under the CLI process `root` (only this test's). */
function providerRss(root: number): number[] {
    const children = new Map<number, number[]>();
    const names = new Map<number, string>();
    for (const d of readdirSync("/proc")) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const stat = readFileSync(`/proc/${d}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
            names.set(Number(d), readFileSync(`/proc/${d}/cmdline`, "utf8"));
        } catch {
            // gone meanwhile
        }
    }
    const out: number[] = [];
    const walk = (p: number) => {
        for (const c of children.get(p) ?? []) {
            if (/pulumi-resource-kernelhardening|dist\/provider\/main\.js/.test(names.get(c) ?? "")) {
                try {
                    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${c}/status`, "utf8"));
                    if (m) out.push(Number(m[1]) / 1024);
                } catch {
                    // exited
                }
            }
            walk(c);
        }
    };
    walk(root);
    return out;
}

let vm: VmState;
let stack: Stack | undefined;
let server: { port: number; close: () => void } | undefined;

beforeEach(async () => {
    vm = await pristineVm();
});

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
    server?.close();
    server = undefined;
});

function resources(port: number, extra: Record<string, unknown> = {}): ResourceSpec[] {
    const evil = { host: "127.0.0.1", port, user: "root", password: PASSWORD, hostKey: KEY.public.trim().split(" ").slice(0, 2).join(" "), dialErrorLimit: 1, ...extra };
    return [
        { type: "Sysctl", name: "healthy", args: { file: "90-healthy.conf", entries: { "kernel.kptr_restrict": "2" } } },
        { type: "Sysctl", name: "evil", args: { file: "90-evil.conf", entries: { "kernel.kptr_restrict": "2" } }, connection: evil },
    ];
}

async function upMeasured(st: Stack) {
    const run = st.start(["up", "--yes", "--skip-preview", "--stack", st.name]);
    let peak = 0;
    let idle = 0;
    const timer = setInterval(() => {
        const rss = providerRss(run.child.pid!);
        if (rss.length && !idle) idle = Math.max(...rss);
        peak = Math.max(peak, ...rss);
    }, 50);
    const t = Date.now();
    const r = await run.result;
    clearInterval(timer);
    return { ...r, seconds: (Date.now() - t) / 1000, peak, idle };
}

test("a host streaming 256 MiB is cut off at the cap; the healthy host converges; the provider's memory stays bounded", async () => {
    server = await hostile(flood);
    stack = await newStack(connectionFor(vm), resources(server.port));
    const up = await upMeasured(stack);
    process.stderr.write(`[hostile flood] up ${up.seconds.toFixed(1)} s, provider RSS first ${up.idle.toFixed(0)} MiB, peak ${up.peak.toFixed(0)} MiB\n`);
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/127\.0\.0\.1:\d+: the remote command \(sysctl\.apply\) sent more than 8388608 bytes of output; stopped reading and closed the connection/);
    expect(await sh(vm, "cat /proc/sys/kernel/kptr_restrict /etc/sysctl.d/90-healthy.conf")).toMatch(/^2\n# Managed by Pulumi/);
    expect(up.peak).toBeGreaterThan(0);
    expect(up.peak).toBeLessThan(200);
});

test("a command that never exits ends at connection.commandTimeout while the healthy host converges", async () => {
    server = await hostile(() => undefined);
    stack = await newStack(connectionFor(vm), resources(server.port, { commandTimeout: 5 }));
    const up = await upMeasured(stack);
    process.stderr.write(`[hostile hang] up ${up.seconds.toFixed(1)} s\n`);
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/the remote command \(sysctl\.apply\) did not finish within 5 s \(connection\.commandTimeout\)/);
    expect(await sh(vm, "cat /proc/sys/kernel/kptr_restrict")).toBe("2\n");
    expect(up.seconds).toBeLessThan(120);
});

test("terminal escapes from a host are escaped, and the password it echoes back is scrubbed, however short", async () => {
    server = await hostile((stream, password) => {
        stream.stderr.write(`\x1b]0;owned\x07\x1b[2J\x1b[1A\x9b2Ksysctl: refused (password was ${password})\n`);
        stream.exit(1);
        stream.end();
    });
    stack = await newStack(connectionFor(vm), resources(server.port));
    const up = await stack.up();
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/\\x1b\]0;owned\\x07\\x1b\[2J\\x1b\[1A\\x9b2Ksysctl: refused \(password was \[secret\]\)/);
    expect(up.output).not.toMatch(/[\x1b\x07\x9b]/);
    expect(up.output).not.toContain(`was ${PASSWORD}`);
});
