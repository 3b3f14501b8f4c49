// examples/fleet end to end: the Automation API driver runs one stack per slice (2 slices of 2 hosts)
// with the real Pulumi CLI against real sshd hosts in network namespaces (bench/fleet.sh): preview,
// up, a second up that changes nothing, one summary. Needs root (namespaces), as the e2e suite does.
import { execFileSync, spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import type { Summary } from "../../examples/fleet/driver";
import { pulumiBin } from "../harness/pulumi";

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, "../..");
const FLEET_SH = join(ROOT, "bench", "fleet.sh");
const DRIVER = join(ROOT, "examples", "fleet", "driver.ts");
// Away from the bench's default ports (27100+), so a bench and this test can share the machine.
const PORT_BASE = 27740;
const ENTRIES = { "net.ipv4.tcp_rfc1337": "1", "net.ipv4.tcp_fin_timeout": "15" };
const FILE = "90-fleet.conf";

interface FleetHost {
    name: string;
    ns: string;
    port: number;
    hostKey: string;
    dir: string;
}

let dir: string;
let hosts: FleetHost[];
let inventory: string;
let env: NodeJS.ProcessEnv;

function driver(args: string[]): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(join(ROOT, "node_modules", ".bin", "tsx"), [DRIVER, ...args, "--inventory", inventory, "--state", join(dir, "state"), "--stacks", "2"], {
        env,
        encoding: "utf8",
        timeout: 240_000,
    });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function driverJson(action: string, extra: string[] = []): Summary {
    const r = driver([action, "--json", ...extra]);
    if (r.code !== 0) throw new Error(`driver ${action} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout) as Summary;
}

const live = (h: FleetHost, key: string) => execFileSync("ip", ["netns", "exec", h.ns, "sysctl", "-n", key], { encoding: "utf8" }).trim();
const dropIn = (h: FleetHost) => join(h.dir, "etc-sysctl.d", FILE);
const sshdLog = (h: FleetHost) => readFileSync(join(h.dir, "sshd.log"), "utf8");
const commands = (log: string) => (log.match(/Starting session:/g) ?? []).length;

beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error("the fleet test needs root: bench/fleet.sh creates network and mount namespaces");
    dir = mkdtempSync("/var/tmp/kh-fleet-e2e-");
    execFileSync("bash", [FLEET_SH, "up", join(dir, "fleet"), "4", String(PORT_BASE)], { stdio: ["ignore", "inherit", "inherit"] });
    hosts = JSON.parse(readFileSync(join(dir, "fleet", "fleet.json"), "utf8")) as FleetHost[];
    for (const [k, v] of Object.entries(ENTRIES)) expect(live(hosts[0], k)).not.toBe(v);
    const slice = (hs: FleetHost[]) => hs.map((h) => ({ name: h.name, host: "127.0.0.1", port: h.port, hostKey: h.hostKey }));
    inventory = join(dir, "inventory.json");
    writeFileSync(
        inventory,
        JSON.stringify({
            settings: { privateKeyPath: "fleet/client_key", sysctl: { file: FILE, entries: ENTRIES } },
            slices: { "rack-a": slice(hosts.slice(0, 2)), "rack-b": slice(hosts.slice(2, 4)) },
        }),
    );
    env = {
        ...process.env,
        PATH: `${pulumiBin()}:${process.env.PATH}`,
        PULUMI_HOME: join(dir, "home"),
        PULUMI_CONFIG_PASSPHRASE: "kh-fleet-test",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        NO_COLOR: "1",
    };
});

afterAll(() => {
    if (!dir) return;
    spawnSync("bash", [FLEET_SH, "down", join(dir, "fleet")], { stdio: "inherit" });
    rmSync(dir, { recursive: true, force: true });
});

test("a bad inventory fails before any stack runs, naming the problem", () => {
    const good = readFileSync(inventory, "utf8");
    const inv = JSON.parse(good);
    inv.slices["rack-b"].push(inv.slices["rack-a"][0]);
    writeFileSync(inventory, JSON.stringify(inv));
    try {
        const r = driver(["preview"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`127.0.0.1:${hosts[0].port} is in slice rack-a and in slice rack-b`);
        expect(existsSync(join(dir, "state", "backend"))).toBe(false);
    } finally {
        writeFileSync(inventory, good);
    }
});

test("preview, up and a second up over two slices, one stack each, one summary", () => {
    // Preview: both stacks plan their hosts' Sysctl, nothing on the hosts changes.
    const preview = driverJson("preview");
    expect(preview.ok).toBe(true);
    expect(preview.slices.map((s) => [s.slice, s.hosts, s.ok])).toEqual([["rack-a", 2, true], ["rack-b", 2, true]]);
    expect(preview.changes).toEqual({ create: 6 }); // per slice: the stack and 2 Sysctl
    for (const h of hosts) {
        expect(existsSync(dropIn(h))).toBe(false);
        expect(live(h, "net.ipv4.tcp_fin_timeout")).not.toBe("15");
    }

    const up = driverJson("up");
    expect(up.ok).toBe(true);
    expect(up.changes).toEqual({ create: 6 });
    for (const h of hosts) {
        for (const [k, v] of Object.entries(ENTRIES)) expect(live(h, k)).toBe(v);
        expect(readFileSync(dropIn(h), "utf8")).toContain("net.ipv4.tcp_fin_timeout = 15");
    }

    // Nothing to change: every resource the same, no file rewritten, one remote command (the read) per host;
    // the same program precompiled once to JavaScript (--precompile) gives the same answer.
    const mtimes = hosts.map((h) => statSync(dropIn(h)).mtimeMs);
    const before = hosts.map((h) => commands(sshdLog(h)));
    const again = driver(["up", "--precompile"]);
    expect([again.code, again.code === 0 ? "" : `${again.stdout}\n${again.stderr}`]).toEqual([0, ""]);
    expect(readFileSync(join(dir, "state", "project", "Pulumi.yaml"), "utf8")).toContain("typescript: false");
    expect(existsSync(join(dir, "state", "program", "index.js"))).toBe(true);
    const lines = again.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^slice\s+hosts\s+result\s+resources\s+seconds/);
    expect(lines.filter((l) => /^rack-[ab]\s+2\s+ok\s+3 same\s/.test(l))).toHaveLength(2);
    expect(lines[lines.length - 1]).toMatch(/^up: 2\/2 slices ok, 4 hosts, resources: 6 same, [\d.]+ s$/);
    expect(hosts.map((h) => statSync(dropIn(h)).mtimeMs)).toEqual(mtimes);
    expect(hosts.map((h, i) => commands(sshdLog(h)) - before[i])).toEqual([1, 1, 1, 1]);
});

test("inline: both slices' programs run in the driver's own process; drift on one host shows in the preview and up repairs it", () => {
    const drifted = hosts[3];
    execFileSync("ip", ["netns", "exec", drifted.ns, "sysctl", "-qw", "net.ipv4.tcp_fin_timeout=60"]);
    const before = hosts.map((h) => commands(sshdLog(h)));
    const preview = driverJson("preview", ["--inline"]);
    expect(preview.ok).toBe(true);
    expect(preview.slices.map((s) => [s.slice, s.changes])).toEqual([
        ["rack-a", { same: 3 }],
        ["rack-b", { same: 2, update: 1 }],
    ]);
    expect(live(drifted, "net.ipv4.tcp_fin_timeout")).toBe("60");

    const up = driverJson("up", ["--inline"]);
    expect(up.ok).toBe(true);
    expect(up.changes).toEqual({ same: 5, update: 1 });
    for (const h of hosts) expect(live(h, "net.ipv4.tcp_fin_timeout")).toBe("15");
    // The preview read each host once; the up read each host once and wrote the drifted one once more.
    expect(hosts.map((h, i) => commands(sshdLog(h)) - before[i])).toEqual([2, 2, 2, 3]);
});
