// What the provider's SSH pool does when a phase has more hosts than its connection cap: the pool
// (dist/provider/ssh/pool.js) holds at most `maxConnections` connections (64 in the provider) and
// closes one only after it has been idle for 30 s, so host cap+1 waits for an idle close. Shown here
// with a cap of K against K+1 hosts of a bench fleet, one read each, all at once.
//
//   npx tsx bench/poolcap.ts FLEET_DIR [K]     (FLEET_DIR from `bench/fleet.sh up`; needs K+1 hosts)
import { readFileSync } from "fs";
import { join, resolve } from "path";
import { performance } from "perf_hooks";

const ROOT = resolve(__dirname, "..");

async function main() {
    const dir = process.argv[2];
    const cap = Number(process.argv[3] ?? 2);
    if (!dir) throw new Error("usage: poolcap.ts FLEET_DIR [K]");
    const hosts = (JSON.parse(readFileSync(join(dir, "fleet.json"), "utf8")) as Array<{ port: number; hostKey: string }>).slice(0, cap + 1);
    if (hosts.length < cap + 1) throw new Error(`need ${cap + 1} hosts`);
    // The built provider (npm run build), as bench.ts's floor uses it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SshPool } = require(join(ROOT, "dist/provider/ssh/pool.js"));
    const pool = new SshPool(cap);
    const privateKey = readFileSync(join(dir, "client_key"), "utf8");
    const t0 = performance.now();
    const times = await Promise.all(
        hosts.map(async (h) => {
            const c = { host: "127.0.0.1", port: h.port, user: "root", privateKey, hostKey: h.hostKey, dialErrorLimit: 3, perDialTimeout: 30, insecureIgnoreHostKey: false };
            await pool.run(c, "true", { label: "poolcap" });
            return (performance.now() - t0) / 1000;
        }),
    );
    pool.closeAll();
    process.stdout.write(`cap ${cap}, ${hosts.length} hosts at once: done after ${times.map((t) => t.toFixed(2)).join(", ")} s\n`);
}

main().catch((err) => {
    process.stderr.write(`poolcap: ${(err as Error).message}\n`);
    process.exit(1);
});
