// The provider's start-up, without the engine: how long `node <entry>` takes until it prints its
// gRPC port (the moment the engine can talk to it), how many module files it has loaded by then, and
// its memory. Each `pulumi up` pays this once per provider process (see the profile: two per engine
// phase). Compares the tsc output (dist/provider/main.js) with any bundle given.
//
//   npx tsx bench/startup.ts [--reps 10] [--entry NAME=PATH ...] [--make-bundle] [--json FILE]
//
// Default entries: tsc = dist/provider/main.js, and a bundle if one is found (dist-bundle/, bin/*.js).
// An entry that is not a .js file is run as an executable: `--entry sea=DIR/pulumi-resource-kernelhardening`
// (the single executable `npm run dist` packs; module files are not counted for it, RSS comes from /proc).
// --make-bundle: also a measurement-only bundle of dist/provider/main.js (esbuild, the copy tsx
// brings; minified, node_modules inlined, optional native addons left out as ssh2 allows) in
// bench/out/bundle/, with the remote scripts and schema.json beside it.
import { spawn } from "child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "fs";
import { basename, dirname, join, resolve } from "path";
import { performance } from "perf_hooks";

const ROOT = resolve(__dirname, "..");
const TMP = join(__dirname, "out", "tmp");

// Preloaded into the provider: when it first writes to stdout (its port), report what it loaded.
const PRELOAD = `
const w = process.stdout.write.bind(process.stdout);
let done = false;
process.stdout.write = (chunk, ...rest) => {
    if (!done) {
        done = true;
        const files = Object.keys(require.cache).length;
        process.stderr.write("KH_STARTUP " + JSON.stringify({ files, rssMB: process.memoryUsage().rss / 1048576, uptime: process.uptime() }) + "\\n");
    }
    return w(chunk, ...rest);
};
`;

function vmRssMB(pid: number): number {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
}

interface Sample {
    wall: number;
    files: number;
    rssMB: number;
    uptime: number;
}

function once(entry: string, preload: string | undefined): Promise<Sample> {
    return new Promise((res, rej) => {
        const t0 = performance.now();
        // A .js entry runs under this Node.js; anything else is an executable (the single-executable plugin).
        const js = entry.endsWith(".js");
        const args = preload && js ? ["-r", preload, entry] : [entry];
        const child = js
            ? spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] })
            : spawn(entry, [], { cwd: dirname(entry), stdio: ["ignore", "pipe", "pipe"] });
        let err = "";
        let info: Omit<Sample, "wall"> = { files: NaN, rssMB: NaN, uptime: NaN };
        child.stderr.on("data", (d: Buffer) => {
            err += d;
            const m = /KH_STARTUP (\{.*\})/.exec(err);
            if (m) info = JSON.parse(m[1]);
        });
        child.stdout.once("data", () => {
            const wall = (performance.now() - t0) / 1000;
            // RSS from /proc for entries the preload cannot reach (an executable ignores -r).
            if (!js && preload) info = { ...info, rssMB: vmRssMB(child.pid!) };
            child.kill("SIGTERM");
            child.on("close", () => res({ wall, ...info }));
        });
        child.on("exit", (code) => code && rej(new Error(`${entry} exited ${code}: ${err}`)));
    });
}

/** Every .sh under dir (the remote scripts are read next to the module that loads them). */
function shFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? shFiles(p) : f.endsWith(".sh") ? [p] : [];
    });
}

async function makeBundle(name: string, external: string[]): Promise<string> {
    const dir = join(__dirname, "out", "bundle", name);
    mkdirSync(dir, { recursive: true });
    // esbuild comes with tsx; loaded only here, for this measurement.
     
    const esbuild = require("esbuild") as { build(o: Record<string, unknown>): Promise<unknown> };
    const outfile = join(dir, "main.js");
    await esbuild.build({ entryPoints: [join(ROOT, "dist/provider/main.js")], bundle: true, platform: "node", target: "node20", minify: true, outfile, logLevel: "error", external: ["*.node", ...external] });
    for (const f of shFiles(join(ROOT, "dist"))) copyFileSync(f, join(dir, basename(f)));
    copyFileSync(join(ROOT, "schema.json"), join(dir, "schema.json")); // the provider serves it
    return outfile;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
    const argv = process.argv.slice(2);
    let reps = 10;
    let jsonOut: string | undefined;
    let makeBundles = false;
    const entries: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--reps") reps = Number(argv[++i]);
        else if (argv[i] === "--json") jsonOut = argv[++i];
        else if (argv[i] === "--entry") {
            const [name, path] = argv[++i].split("=");
            entries[name] = resolve(path);
        } else if (argv[i] === "--make-bundle") makeBundles = true;
        else throw new Error(`unknown option ${argv[i]}`);
    }
    if (makeBundles) {
        // Everything inlined (esbuild also inlines the lazy require of @pulumi/pulumi), and the same
        // with the @pulumi/pulumi runtime left to node_modules, loaded only if a Construct comes.
        entries["bundle, all inlined"] = await makeBundle("all", []);
        entries["bundle, @pulumi/pulumi root external"] = await makeBundle("lazy", ["@pulumi/pulumi"]);
    }
    if (!argv.includes("--entry")) {
        entries.tsc = join(ROOT, "dist/provider/main.js");
        for (const p of ["dist-bundle/main.js", "dist-bundle/provider.js", "bin/provider.js", "bundle/main.js"]) {
            if (existsSync(join(ROOT, p))) entries[`bundle (${p})`] = join(ROOT, p);
        }
    }
    mkdirSync(TMP, { recursive: true });
    const preload = join(TMP, "startup-preload.js");
    writeFileSync(preload, PRELOAD);
    const out: Record<string, { wall: number; files: number; rssMB: number; reps: number }> = {};
    // Node.js alone, for the share that no packaging can remove.
    const empty = join(TMP, "startup-empty.js");
    writeFileSync(empty, "process.stdout.write('0\\n'); setInterval(() => {}, 1000);\n");
    const all = { "node (no code)": empty, ...entries };
    const samples: Record<string, Sample[]> = {};
    // Alternate the entries so the machine's changing load hits them alike; one warm-up each (disk cache).
    for (const e of Object.values(all)) await once(e, undefined);
    for (let r = 0; r < reps; r++) {
        for (const [name, e] of Object.entries(all)) {
            (samples[name] ??= []).push({ ...(await once(e, undefined)), files: NaN, rssMB: NaN, uptime: NaN });
            const withInfo = await once(e, preload);
            const s = samples[name][samples[name].length - 1];
            Object.assign(s, { files: withInfo.files, rssMB: withInfo.rssMB, uptime: withInfo.uptime });
        }
    }
    for (const [name, ss] of Object.entries(samples)) {
        const m = (k: keyof Sample) => median(ss.map((s) => s[k]));
        out[name] = { wall: m("wall"), files: m("files"), rssMB: m("rssMB"), reps: ss.length };
        process.stdout.write(`${name.padEnd(36)} ready in ${out[name].wall.toFixed(3)} s (median of ${ss.length}), ${out[name].files} module files, ${out[name].rssMB.toFixed(0)} MB RSS\n`);
    }
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 1));
}

main().catch((err) => {
    process.stderr.write(`startup: ${(err as Error).message}\n`);
    process.exit(1);
});
