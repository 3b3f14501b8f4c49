// The fleet audit's parts that need no host: targets and inventories, the bound on parallel work,
// and the exit status and report files when hosts cannot be reached (loopback ports nobody serves).
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { main } from "../../provider/cli/main";
import { mapBounded, parseTarget, readInventory } from "../../provider/cli/fleet";

const dir = mkdtempSync(join(tmpdir(), "kh-fleet-"));

async function closedPort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
}

describe("targets", () => {
    it("reads user, host, port and IPv6 literals", () => {
        expect(parseTarget("kh@10.0.0.1:2222")).toMatchObject({ user: "kh", host: "10.0.0.1", port: 2222 });
        expect(parseTarget("[::1]:22")).toMatchObject({ host: "::1", port: 22 });
        expect(parseTarget("web-1")).toMatchObject({ user: undefined, host: "web-1", port: undefined });
        expect(parseTarget("a b")).toBeNull();
    });

    it("reads an inventory with comments and names the bad line", () => {
        const f = join(dir, "inv");
        writeFileSync(f, "# fleet\nweb-1\n\nkh@web-2:2222  # second\n");
        expect(readInventory(f).map((t) => t.label)).toEqual(["web-1", "kh@web-2:2222"]);
        writeFileSync(f, "web-1\nnot a host\n");
        expect(() => readInventory(f)).toThrow(`${f}:2: cannot read the target "not a host"`);
    });
});

describe("mapBounded", () => {
    it("never runs more than the bound at once and keeps the order", async () => {
        let running = 0;
        let peak = 0;
        const out = await mapBounded([5, 1, 4, 2, 3, 0, 6], 3, async (x) => {
            peak = Math.max(peak, ++running);
            await new Promise((r) => setTimeout(r, x * 3));
            running--;
            return x * 10;
        });
        expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
        expect(peak).toBe(3);
    });
});

describe("kernelhardening audit with many hosts", () => {
    it("exits 2 when a host is unreachable and still writes JSON and HTML for every host", async () => {
        const [a, b] = [await closedPort(), await closedPort()];
        const inv = join(dir, "hosts");
        writeFileSync(inv, `kh@127.0.0.1:${b}\n`);
        const json = join(dir, "out.json");
        const html = join(dir, "out.html");
        const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
        const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
        let code: number;
        try {
            code = await main(["audit", `127.0.0.1:${a}`, "--inventory", inv, "--insecure-ignore-host-key", "--parallel", "2",
                "--json-out", json, "--html", html]);
        } finally {
            err.mockRestore();
            out.mockRestore();
        }
        expect(code).toBe(2);
        const res = JSON.parse(readFileSync(json, "utf8"));
        expect(res.map((r: { target: string }) => r.target)).toEqual([`127.0.0.1:${a}`, `kh@127.0.0.1:${b}`]);
        for (const r of res) expect(r.error).toMatch(/ECONNREFUSED|refused/i);
        expect(readFileSync(html, "utf8")).toContain(`kh@127.0.0.1:${b}`);
    }, 60_000);

    it("refuses a bad --parallel before contacting any host", async () => {
        const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
        try {
            expect(await main(["audit", "a", "b", "--parallel", "0"])).toBe(2);
        } finally {
            err.mockRestore();
        }
    });
});
