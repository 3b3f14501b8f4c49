// The SSH pool's connection cap against real ssh2 servers in this process: a fleet larger than the
// cap is served without waiting for idle timeouts, the cap holds, idle connections are reused while
// nobody waits and closed (least recently used first) when someone does, and a failed dial frees its slot.
import { AddressInfo, createServer } from "net";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { Server, utils } from "ssh2";
import { ConnectionSchema, Connection } from "../../provider/ssh/connection";
import { SshPool, maxConnectionsFor, openFileLimit } from "../../provider/ssh/pool";

jest.setTimeout(60_000);

const KEY = (() => {
    for (;;) {
        const k = utils.generateKeyPairSync("ed25519");
        if (!(utils.parseKey(k.private) instanceof Error)) return k;
    }
})();

interface Host {
    port: number;
    /** Connections accepted so far, and open now. */
    accepted: () => number;
    open: () => number;
    close: () => Promise<void>;
}

function host(): Promise<Host> {
    let accepted = 0;
    const clients = new Set<{ end(): void }>();
    const srv = new Server({ hostKeys: [KEY.private] }, (client) => {
        accepted++;
        clients.add(client);
        client.on("close", () => clients.delete(client));
        client.on("error", () => undefined);
        client.on("authentication", (ctx) => ctx.accept());
        client.on("ready", () =>
            client.on("session", (accept) =>
                accept().on("exec", (acceptExec) => {
                    const ch = acceptExec();
                    ch.write("ok\n");
                    ch.exit(0);
                    ch.end();
                }),
            ),
        );
    });
    return new Promise((resolve) =>
        srv.listen(0, "127.0.0.1", () =>
            resolve({
                port: (srv.address() as AddressInfo).port,
                accepted: () => accepted,
                open: () => clients.size,
                close: () =>
                    new Promise<void>((r) => {
                        for (const c of clients) c.end();
                        srv.close(() => r());
                    }),
            }),
        ),
    );
}

const pin = KEY.public.trim().split(" ").slice(0, 2).join(" ");
const conn = (port: number): Connection =>
    ConnectionSchema.parse({ host: "127.0.0.1", port, password: "pw", hostKey: pin, dialErrorLimit: 1 });

const hosts: Host[] = [];
const pools: SshPool[] = [];
async function fleet(n: number): Promise<Host[]> {
    const hs = await Promise.all(Array.from({ length: n }, host));
    hosts.push(...hs);
    return hs;
}
function newPool(max: number, idleMs?: number): SshPool {
    const p = new SshPool(max, idleMs);
    pools.push(p);
    return p;
}
// Up to 10 s for the server to see a close (it sees it when its event loop gets to it).
const until = async (ok: () => boolean) => {
    for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    return ok();
};
afterEach(async () => {
    for (const p of pools.splice(0)) p.closeAll();
    await Promise.all(hosts.splice(0).map((h) => h.close()));
});

describe("the cap on open connections", () => {
    test("a fleet of 12 behind a cap of 3 finishes at once (no idle timeout waited), never above the cap", async () => {
        const hs = await fleet(12);
        const p = newPool(3); // idle close 30 s: a host waiting for it would take 30 s
        let peak = 0;
        const t0 = Date.now();
        const results = await Promise.all(
            hs.map(async (h) => {
                const r = await p.run(conn(h.port), "read");
                peak = Math.max(peak, p.stats().open);
                return r;
            }),
        );
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(results.map((r) => r.stdout.toString())).toEqual(hs.map(() => "ok\n"));
        expect(peak).toBeLessThanOrEqual(3);
        expect(p.stats()).toMatchObject({ waiting: 0, max: 3 });
        expect(hs.map((h) => h.accepted())).toEqual(hs.map(() => 1));
    });

    test("below the cap an idle connection is reused; at the cap the least recently used idle one is closed", async () => {
        const [a, b, c] = await fleet(3);
        const p = newPool(2);
        await p.run(conn(a.port), "1");
        await p.run(conn(b.port), "2");
        await p.run(conn(a.port), "3"); // reuses a: b is now the least recently used
        expect([a.accepted(), b.accepted()]).toEqual([1, 1]);
        await p.run(conn(c.port), "4"); // needs a slot: b gives its slot up
        expect(await until(() => b.open() === 0)).toBe(true);
        expect([a.open(), c.open()]).toEqual([1, 1]);
        await p.run(conn(a.port), "5");
        expect(a.accepted()).toBe(1);
        expect(p.stats().open).toBe(2);
    });

    test("uses within one millisecond keep their order: the least recently used is still the one closed", async () => {
        const [a, b, c] = await fleet(3);
        const p = newPool(2);
        // A clock that never moves: the order of use must not depend on it (it once did, and a fast
        // machine closed the connection just used).
        const now = jest.spyOn(Date, "now").mockReturnValue(1_000_000);
        try {
            await p.run(conn(a.port), "1");
            await p.run(conn(b.port), "2");
            await p.run(conn(a.port), "3");
            await p.run(conn(c.port), "4");
        } finally {
            now.mockRestore();
        }
        expect(await until(() => b.open() === 0)).toBe(true);
        expect([a.open(), c.open()]).toEqual([1, 1]);
    });

    test("idle connections are closed after the idle time even when nobody waits", async () => {
        const [a] = await fleet(1);
        const p = newPool(4, 100);
        await p.run(conn(a.port), "1");
        expect(a.open()).toBe(1);
        expect(await until(() => a.open() === 0 && p.stats().open === 0)).toBe(true);
        await p.run(conn(a.port), "2"); // dials afresh
        expect(a.accepted()).toBe(2);
    });

    test("a failed dial gives its slot back", async () => {
        const dead = createServer((s) => s.destroy()); // accepts, then hangs up before the SSH banner
        await new Promise<void>((r) => dead.listen(0, "127.0.0.1", () => r()));
        const [a] = await fleet(1);
        const p = newPool(1);
        try {
            await expect(p.run(conn((dead.address() as AddressInfo).port), "x")).rejects.toThrow(/127\.0\.0\.1/);
            expect((await p.run(conn(a.port), "y")).code).toBe(0);
        } finally {
            dead.close();
        }
    });
});

describe("the default cap", () => {
    test("256 when the open-file limit allows, lowered to two descriptors per connection below it", () => {
        expect(maxConnectionsFor(undefined, 20_000)).toBe(256);
        expect(maxConnectionsFor(undefined, 1024)).toBe(256);
        expect(maxConnectionsFor(undefined, 512)).toBe(128);
        expect(maxConnectionsFor(undefined, 100)).toBe(1);
    });

    test("KH_SSH_MAX_CONNECTIONS sets it, within the open-file limit; anything else is a clear error", () => {
        expect(maxConnectionsFor("1000", 20_000)).toBe(1000);
        expect(maxConnectionsFor("1000", 1024)).toBe(384);
        expect(maxConnectionsFor(" ", 20_000)).toBe(256);
        expect(() => maxConnectionsFor("0", 20_000)).toThrow(/KH_SSH_MAX_CONNECTIONS must be a positive integer/);
        expect(() => maxConnectionsFor("many", 20_000)).toThrow(/got "many"/);
    });

    test("the open-file limit is read from /proc's limits file", () => {
        const dir = mkdtempSync(join(tmpdir(), "kh-limits-"));
        const f = join(dir, "limits");
        writeFileSync(
            f,
            "Limit                     Soft Limit           Hard Limit           Units\n" +
                "Max open files            4096                 524288               files\n",
        );
        expect(openFileLimit(f)).toBe(4096);
        expect(openFileLimit(join(dir, "missing"))).toBe(1024);
    });
});
