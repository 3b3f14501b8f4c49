// The SSH layer against real ssh2 servers in this process: host key algorithms, revocation, bounded
// output and time, one hostile host beside a healthy one, jump hosts, sudo -S, cancellation.
import { AddressInfo, connect as netConnect } from "net";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { Server, ServerChannel, utils } from "ssh2";
import { ConnectionSchema, Connection } from "../../provider/ssh/connection";
import { CredentialError, HostError, MAX_STDOUT_BYTES, SshPool } from "../../provider/ssh/pool";

jest.setTimeout(60_000);

type Exec = (command: string, stream: ServerChannel) => void;

interface TestServer {
    port: number;
    publicKey: string; // "ssh-rsa AAAA…"
    negotiated: string[];
    commands: string[];
    /** Client connections open right now. */
    open: () => number;
    close: () => Promise<void>;
}

const RSA = utils.generateKeyPairSync("rsa", { bits: 2048 });
const ED = utils.generateKeyPairSync("ed25519");

function startServer(exec: Exec, opts: { key?: typeof RSA; hostKeyAlgorithms?: string[]; tcpip?: boolean } = {}): Promise<TestServer> {
    const key = opts.key ?? RSA;
    const negotiated: string[] = [];
    const commands: string[] = [];
    const clients = new Set<unknown>();
    const srv = new Server(
        {
            hostKeys: [key.private],
            ...(opts.hostKeyAlgorithms ? { algorithms: { serverHostKey: opts.hostKeyAlgorithms as never } } : {}),
        },
        (client) => {
            clients.add(client);
            client.on("close", () => clients.delete(client));
            client.on("error", () => undefined);
            client.on("handshake", (n) => negotiated.push(n.serverHostKey));
            client.on("authentication", (ctx) => ctx.accept());
            client.on("ready", () => {
                client.on("session", (accept) => {
                    const session = accept();
                    session.on("exec", (acceptExec, _reject, info) => {
                        commands.push(info.command);
                        exec(info.command, acceptExec());
                    });
                });
                if (opts.tcpip) {
                    client.on("tcpip", (accept, _reject, info) => {
                        const ch = accept();
                        const sock = netConnect(info.destPort, info.destIP);
                        sock.on("error", () => ch.close());
                        ch.on("error", () => sock.destroy());
                        ch.pipe(sock).pipe(ch);
                    });
                }
            });
        },
    );
    return new Promise((resolve) => {
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as AddressInfo).port;
            resolve({
                port,
                publicKey: key.public.trim().split(" ").slice(0, 2).join(" "),
                negotiated,
                commands,
                open: () => clients.size,
                close: () =>
                    new Promise<void>((r) => {
                        for (const c of clients) (c as { end(): void }).end();
                        srv.close(() => r());
                    }),
            });
        });
    });
}

function conn(srv: TestServer, extra: Record<string, unknown> = {}): Connection {
    return ConnectionSchema.parse({ host: "127.0.0.1", port: srv.port, password: "pw-for-tests", hostKey: srv.publicKey, dialErrorLimit: 1, ...extra });
}

const echoOk: Exec = (_cmd, stream) => {
    stream.write("ok\n");
    stream.exit(0);
    stream.end();
};

const servers: TestServer[] = [];
const pools: SshPool[] = [];
async function server(exec: Exec, opts?: Parameters<typeof startServer>[1]): Promise<TestServer> {
    const s = await startServer(exec, opts);
    servers.push(s);
    return s;
}
function newPool(): SshPool {
    const p = new SshPool();
    pools.push(p);
    return p;
}
afterEach(async () => {
    for (const p of pools.splice(0)) p.closeAll();
    await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("host key algorithms", () => {
    test("a pinned ssh-rsa key negotiates rsa-sha2-512, and works with a server that refuses SHA-1 ssh-rsa", async () => {
        const srv = await server(echoOk, { hostKeyAlgorithms: ["rsa-sha2-512", "rsa-sha2-256"] });
        expect(srv.publicKey).toMatch(/^ssh-rsa /);
        const r = await newPool().run(conn(srv), "true");
        expect(r.stdout.toString()).toBe("ok\n");
        expect(srv.negotiated).toEqual(["rsa-sha2-512"]);
    });

    test("an ssh-rsa entry in known_hosts negotiates SHA-2 too", async () => {
        const srv = await server(echoOk);
        const dir = mkdtempSync(join(tmpdir(), "kh-known-"));
        writeFileSync(join(dir, "known_hosts"), `[127.0.0.1]:${srv.port} ${srv.publicKey}\n`);
        await newPool().run(conn(srv, { hostKey: undefined, knownHostsPath: join(dir, "known_hosts") }), "true");
        expect(srv.negotiated[0]).toMatch(/^rsa-sha2-(512|256)$/);
    });

    test("a key marked @revoked is refused even when a plain line lists it", async () => {
        const srv = await server(echoOk);
        const dir = mkdtempSync(join(tmpdir(), "kh-known-"));
        const file = join(dir, "known_hosts");
        writeFileSync(file, `[127.0.0.1]:${srv.port} ${srv.publicKey}\n@revoked [127.0.0.1]:${srv.port} ${srv.publicKey}\n`);
        const err = await newPool().run(conn(srv, { hostKey: undefined, knownHostsPath: file }), "true").catch((e) => e);
        expect(err).toBeInstanceOf(CredentialError);
        expect(err.message).toMatch(/host key verification failed for 127\.0\.0\.1:\d+: .* marks @revoked/);
        expect(srv.commands).toEqual([]);
    });
});

describe("bounded remote commands", () => {
    const flood: Exec = (_cmd, stream) => {
        const chunk = Buffer.alloc(1024 * 1024, 0x41);
        let sent = 0;
        const pump = () => {
            while (sent < 256) {
                sent++;
                if (!stream.write(chunk)) return void stream.once("drain", pump);
            }
            stream.exit(0);
            stream.end();
        };
        stream.on("error", () => undefined);
        stream.on("close", () => (sent = 1e9));
        pump();
    };

    test("a host that streams 256 MiB is cut off after the cap; the provider's memory does not follow", async () => {
        const srv = await server(flood);
        const p = newPool();
        global.gc?.();
        const before = process.memoryUsage().rss;
        const t = Date.now();
        const err = await p.run(conn(srv), "cat /dev/zero", { label: "sysctl.observe" }).catch((e) => e);
        const grew = process.memoryUsage().rss - before;
        expect(err).toBeInstanceOf(HostError);
        expect(err.message).toMatch(new RegExp(`127\\.0\\.0\\.1:\\d+: the remote command \\(sysctl\\.observe\\) sent more than ${MAX_STDOUT_BYTES} bytes`));
        process.stderr.write(`flood: rss +${(grew / 2 ** 20).toFixed(0)} MiB, ${Date.now() - t} ms\n`);
        expect(grew).toBeLessThan(96 * 2 ** 20);
    });

    test("a command that never exits fails after connection.commandTimeout, and a healthy host beside it is not held up", async () => {
        const hang = await server((_cmd, stream) => stream.on("error", () => undefined));
        const healthy = await server(echoOk);
        const p = newPool();
        const t = Date.now();
        const stuck = p.run(conn(hang, { commandTimeout: 2 }), "sleep infinity", { label: "kernelpin.apply" }).catch((e) => e);
        // Meanwhile the healthy host answers many commands in time.
        for (let i = 0; i < 5; i++) expect((await p.run(conn(healthy), "true")).stdout.toString()).toBe("ok\n");
        expect(Date.now() - t).toBeLessThan(1500);
        const err = await stuck;
        expect(err.message).toMatch(/the remote command \(kernelpin\.apply\) did not finish within 2 s \(connection\.commandTimeout\)/);
        expect(Date.now() - t).toBeGreaterThanOrEqual(1900);
        expect(Date.now() - t).toBeLessThan(6000);
    });

    test("a flooding host and a healthy host served at once: the healthy one answers promptly", async () => {
        const bad = await server(flood);
        const healthy = await server(echoOk);
        const p = newPool();
        const t = Date.now();
        const flooded = p.run(conn(bad), "x").catch((e) => e);
        const ok = await p.run(conn(healthy), "true");
        expect(ok.stdout.toString()).toBe("ok\n");
        expect(Date.now() - t).toBeLessThan(3000);
        expect((await flooded).message).toMatch(/sent more than/);
    });

    test("stderr is kept to its tail, and a connection dropped for flooding is dialled afresh next time", async () => {
        let n = 0;
        const srv = await server((_cmd, stream) => {
            if (n++ === 0) return flood(_cmd, stream);
            stream.stderr.write("x".repeat(100_000) + "END-OF-STDERR\n");
            stream.exit(3);
            stream.end();
        });
        const p = newPool();
        await expect(p.run(conn(srv), "a")).rejects.toThrow(/sent more than/);
        const r = await p.run(conn(srv), "b");
        expect(r.code).toBe(3);
        expect(r.stderr.length).toBeLessThanOrEqual(32 * 1024);
        expect(r.stderr).toMatch(/END-OF-STDERR\n$/);
    });
});

describe("jump hosts", () => {
    test("when the target fails after the jump host connected, the jump host's connection is closed", async () => {
        const target = await server(echoOk, { key: ED });
        const jump = await server(echoOk, { tcpip: true });
        const c = conn(target, {
            hostKey: RSA.public.trim().split(" ").slice(0, 2).join(" "), // not the target's key
            proxy: { host: "127.0.0.1", port: jump.port, password: "pw", hostKey: jump.publicKey, dialErrorLimit: 1 },
        });
        const err = await newPool().run(c, "true").catch((e) => e);
        expect(err).toBeInstanceOf(HostError);
        expect(jump.commands).toEqual([]);
        for (let i = 0; i < 50 && jump.open() > 0; i++) await new Promise((r) => setTimeout(r, 100));
        expect(jump.open()).toBe(0);
    });
});

describe("cancellation", () => {
    test("after cancel, a running command finishes and no new one starts", async () => {
        let release: () => void = () => undefined;
        const srv = await server((cmd, stream) => {
            const done = () => {
                stream.write(`done ${cmd}\n`);
                stream.exit(0);
                stream.end();
            };
            if (cmd === "slow") release = done;
            else done();
        });
        const p = newPool();
        expect((await p.run(conn(srv), "warm")).code).toBe(0);
        const running = p.run(conn(srv), "slow");
        while (!srv.commands.includes("slow")) await new Promise((r) => setTimeout(r, 10));
        p.cancel();
        await expect(p.run(conn(srv), "next")).rejects.toThrow(/cancelled: the engine asked the provider to stop/);
        release();
        expect((await running).stdout.toString()).toBe("done slow\n");
        expect(srv.commands).toEqual(["warm", "slow"]);
    });
});

describe("sudo -S with connection.sudoPassword (a fake sudo that behaves like sudo 1.9)", () => {
    const PROMPT = "[kernelhardening-sudo-password]";
    const READY = "[kernelhardening-sudo-ok]";
    /** Asks for `password` (or not, for a NOPASSWD rule), then runs a "script" that echoes its stdin. */
    const fakeSudo = (password: string | undefined, got: { stdin: string[] }): Exec => (cmd, stream) => {
        let buf = "";
        let authed = password === undefined;
        let tries = 0;
        const run = () => {
            stream.stderr.write(`${READY}\n`);
            stream.stderr.write("script stderr\n");
        };
        if (!cmd.startsWith(`sudo -S -p '${PROMPT}' -- /bin/sh -c `)) {
            stream.stderr.write("unexpected command\n");
            stream.exit(2);
            return void stream.end();
        }
        if (authed) run();
        else stream.stderr.write(PROMPT);
        stream.on("data", (d: Buffer) => {
            buf += d.toString();
            while (!authed && buf.includes("\n")) {
                const line = buf.slice(0, buf.indexOf("\n"));
                buf = buf.slice(buf.indexOf("\n") + 1);
                if (line === password) {
                    authed = true;
                    run();
                } else {
                    tries++;
                    stream.stderr.write(`Sorry, try again.\n${PROMPT}`);
                }
            }
        });
        stream.on("end", () => {
            if (!authed) {
                stream.stderr.write(`sudo: ${tries} incorrect password attempt${tries === 1 ? "" : "s"}\n`);
                stream.exit(1);
            } else {
                got.stdin.push(buf);
                stream.write(buf);
                stream.exit(0);
            }
            stream.end();
        });
    };

    async function runWith(password: string | undefined, sudoPassword: string | undefined) {
        const { runScript } = await import("../../provider/host/run");
        const got = { stdin: [] as string[] };
        const srv = await server(fakeSudo(password, got));
        const c = conn(srv, { user: "deploy", sudoPassword });
        return { srv, got, result: runScript(c, "cat", "R\tdata\nEND\n", "t.apply") };
    }

    test("the password is answered on stdin when sudo asks; the script gets exactly its data", async () => {
        const { srv, got, result } = await runWith("hunter2 with spaces", "hunter2 with spaces");
        const r = await result;
        expect(r.stdout.toString()).toBe("R\tdata\nEND\n");
        expect(got.stdin).toEqual(["R\tdata\nEND\n"]);
        expect(r.stderr).toBe("script stderr\n");
        expect(srv.commands.join("\n")).not.toContain("hunter2");
    });

    test("a NOPASSWD rule never sees the password: stdin waits until the script runs", async () => {
        const { got, result } = await runWith(undefined, "hunter2");
        expect((await result).stdout.toString()).toBe("R\tdata\nEND\n");
        expect(got.stdin).toEqual(["R\tdata\nEND\n"]);
    });

    test("a wrong password is a clear error, tried once, and never echoed", async () => {
        const { got, result } = await runWith("right", "wrong-one");
        const err = await result.catch((e) => e);
        expect(err.message).toMatch(/^127\.0\.0\.1:\d+: sudo did not accept connection\.sudoPassword for user deploy$/);
        expect(got.stdin).toEqual([]);
    });
});

describe("what sudo and the host lock say becomes a clear error", () => {
    const { sudoFailure } = require("../../provider/host/run") as typeof import("../../provider/host/run");
    const c = ConnectionSchema.parse({ host: "h", user: "deploy" });
    const msg = (code: number, stderr: string, conn = c) => sudoFailure(conn, { code, stderr })?.message;
    test.each([
        [127, "sh: 1: sudo: not found\n", /sudo is not installed on this host/],
        [127, "bash: line 1: sudo: command not found\n", /sudo is not installed on this host/],
        [1, "sudo: sorry, you must have a tty to run sudo\n", /requires a terminal for user deploy \(Defaults requiretty\).*Defaults:deploy !requiretty/],
        [1, "sudo: a password is required\n", /sudo asks user deploy for a password: set connection\.sudoPassword/],
        [1, "deploy is not in the sudoers file.  This incident will be reported.\n", /user deploy may not run \/bin\/sh as root/],
        [75, "kernelhardening: host lock busy: pid 1 \x1b]0;owned\x07\n", /held this host's lock for 120 s \(pid 1 \\x1b\]0;owned\\x07\)/],
    ])("exit %d, %j", (code, stderr, re) => {
        expect(msg(code, stderr)).toMatch(re);
    });
    test("success and other failures are left to the caller", () => {
        expect(msg(0, "sudo: a password is required")).toBeUndefined();
        expect(msg(1, "sysctl: permission denied")).toBeUndefined();
        expect(msg(127, "sh: 1: sudo: not found", ConnectionSchema.parse({ host: "h" }))).toBeUndefined();
    });
});

describe("remote stderr reaches callers trimmed and escaped", () => {
    test("control characters a host sends are escaped; only the end is kept", async () => {
        const { runScript } = await import("../../provider/host/run");
        const srv = await server((_cmd, stream) => {
            stream.stderr.write("y".repeat(10_000) + "\n\x1b]0;pwned\x07\x1b[2J\x9b1Aerror\n");
            stream.exit(1);
            stream.end();
        });
        const r = await runScript(conn(srv), "x");
        expect(r.stderr).toMatch(/\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b1Aerror\n$/);
        expect(r.stderr).not.toMatch(/[\x1b\x07\x9b]/);
        expect(r.stderr.length).toBeLessThan(2100);
    });
});
