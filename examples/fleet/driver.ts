// Past one stack: one stack per slice of the inventory (a rack, a region, a host group), all running
// the same program (index.ts), previewed or applied through Pulumi's Automation API with a bounded
// number of stacks at once, and one summary at the end. The engine and the CLI do the work; this
// file only splits the inventory, runs the stacks and adds up their results.
//
//   PULUMI_CONFIG_PASSPHRASE=... npx tsx examples/fleet/driver.ts preview|up|refresh|destroy
//       [--inventory FILE]     the inventory (default: inventory.json next to this file)
//       [--state DIR]          local file backend, per-run project and logs
//                              (default: .fleet-state next to the inventory)
//       [--stacks K]           stacks run at once (default 4)
//       [--parallel P]         the engine's --parallel within each stack (default: 2 x the slice's hosts, at least 4)
//       [--only a,b]           only these slices
//       [--plugin-dir DIR]     where the provider plugin is (default: the repository's bin/)
//       [--precompile]         compile index.ts once to JavaScript and run that (`typescript: false`):
//                              each stack then skips ts-node's compile of the program
//       [--inline]             run the program in this process (the Automation API's inline program):
//                              Node.js and the Pulumi SDK are loaded once for every stack and phase
//       [--json]               print the summary as JSON instead of a table
//
// `up` is the Automation API's up: the update without a separate preview (`pulumi up --yes
// --skip-preview`); run `preview` first to see the plan. Exit status 1 if any slice failed.
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "fs";
import { dirname, join, resolve } from "path";
import { performance } from "perf_hooks";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { z } from "zod/v4";
import { fleetProgram } from "./program";

const PROGRAM_DIR = __dirname;
const PROJECT = "kernel-hardening-fleet";

const Host = z.object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "a host name is letters, digits, '_', '.', '-'"),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).optional(),
    hostKey: z.string().min(1),
    sudo: z.boolean().optional(),
});
const Inventory = z.object({
    settings: z.object({
        privateKeyPath: z.string().min(1),
        sysctl: z
            .object({ file: z.string(), entries: z.record(z.string(), z.string()), comment: z.string().optional() })
            .optional(),
        hardening: z
            .object({
                profile: z.string().optional(),
                allowOneWay: z.boolean().optional(),
                overrides: z.record(z.string(), z.string()).optional(),
                exclude: z.array(z.string()).optional(),
            })
            .optional(),
    }),
    slices: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "a slice name is a stack name"), z.array(Host).min(1)),
});
type Inventory = z.infer<typeof Inventory>;

type Action = "preview" | "up" | "refresh" | "destroy";

interface SliceResult {
    slice: string;
    hosts: number;
    ok: boolean;
    seconds: number;
    /** Resource operations by kind, as the engine counts them (same, create, update, delete, ...). */
    changes: Record<string, number>;
    error?: string;
    log: string;
}

export interface Summary {
    action: Action;
    ok: boolean;
    slices: SliceResult[];
    seconds: number;
    /** Sum over slices, by kind. */
    changes: Record<string, number>;
}

interface DriverOptions {
    action: Action;
    inventoryPath: string;
    stateDir: string;
    stacks: number;
    parallel?: number;
    only?: string[];
    pluginDir: string;
    precompile?: boolean;
    inline?: boolean;
}

/** Loads and checks the inventory: a host in two slices would be managed by two stacks. */
function loadInventory(path: string): Inventory {
    const parsed = Inventory.safeParse(JSON.parse(readFileSync(path, "utf8")));
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${path}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    const inv = parsed.data;
    const seen = new Map<string, string>();
    for (const [slice, hosts] of Object.entries(inv.slices)) {
        const names = new Set<string>();
        for (const h of hosts) {
            if (names.has(h.name)) throw new Error(`${path}: slices.${slice}: host name ${h.name} appears twice`);
            names.add(h.name);
            const addr = `${h.host}:${h.port ?? 22}`;
            const other = seen.get(addr);
            if (other) throw new Error(`${path}: ${addr} is in slice ${other} and in slice ${slice}`);
            seen.set(addr, slice);
        }
    }
    if (!inv.settings.sysctl && !inv.settings.hardening) throw new Error(`${path}: settings: give sysctl, hardening or both`);
    return inv;
}

/**
 * index.ts compiled once to STATE/program/index.js (TypeScript's transpiler, no type check: the source
 * is the repository's), its imports resolved from this folder, as index.ts's are. Returns the folder
 * to give as `main` with `typescript: false`.
 */
function precompile(stateDir: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require("typescript") as typeof import("typescript");
    const out = join(stateDir, "program");
    mkdirSync(out, { recursive: true });
    for (const file of ["index", "program"]) {
        const js = ts.transpileModule(readFileSync(join(PROGRAM_DIR, `${file}.ts`), "utf8"), {
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
        });
        const resolved = js.outputText.replace(/require\("([^"]+)"\)/g, (m, spec: string) =>
            spec === "./program" ? m : `require(${JSON.stringify(require.resolve(spec, { paths: [PROGRAM_DIR] }))})`,
        );
        writeFileSync(join(out, `${file}.js`), resolved);
    }
    // The language host looks for @pulumi/pulumi's runner from the program's folder: point it at ours.
    const modules = resolve(dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [PROGRAM_DIR] })), "../..");
    if (!existsSync(join(out, "node_modules"))) symlinkSync(modules, join(out, "node_modules"));
    return out;
}

/** The project every slice's stack runs: this folder's program, the given plugin, state in stateDir. */
function writeProject(stateDir: string, pluginDir: string, jsMain?: string): string {
    const work = join(stateDir, "project");
    mkdirSync(work, { recursive: true });
    const yaml = [
        `name: ${PROJECT}`,
        "runtime:",
        "  name: nodejs",
        "  options:",
        `    typescript: ${jsMain ? "false" : "true"}`,
        `main: ${JSON.stringify((jsMain ?? PROGRAM_DIR) + "/")}`,
        "plugins:",
        "  providers:",
        "    - name: kernelhardening",
        `      path: ${JSON.stringify(pluginDir)}`,
        "",
    ].join("\n");
    writeFileSync(join(work, "Pulumi.yaml"), yaml);
    return work;
}

/** Runs fn over items with at most `limit` at once, results in input order. */
async function bounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return out;
}

async function runSlice(
    o: DriverOptions,
    inv: Inventory,
    work: string,
    cmd: PulumiCommand,
    slice: string,
): Promise<SliceResult> {
    const hosts = inv.slices[slice];
    const log = join(o.stateDir, "logs", `${slice}-${o.action}.log`);
    writeFileSync(log, "");
    const onOutput = (s: string) => appendFileSync(log, s);
    const t0 = performance.now();
    const done = (r: Omit<SliceResult, "slice" | "hosts" | "seconds" | "log">): SliceResult => ({
        slice,
        hosts: hosts.length,
        seconds: (performance.now() - t0) / 1000,
        log,
        ...r,
    });
    try {
        const opts = { workDir: work, pulumiCommand: cmd, envVars: { PULUMI_BACKEND_URL: `file://${join(o.stateDir, "backend")}` } };
        // Inline: the engine calls back into this process to run the program, so Node.js and the
        // Pulumi SDK are loaded once for every stack and phase instead of once per language host.
        const stack: Stack = o.inline
            ? await LocalWorkspace.createOrSelectStack(
                  { stackName: slice, projectName: PROJECT, program: async () => fleetProgram() },
                  opts,
              )
            : await LocalWorkspace.createOrSelectStack({ stackName: slice, workDir: work }, opts);
        const keyPath = resolve(dirname(o.inventoryPath), inv.settings.privateKeyPath);
        await stack.setAllConfig({
            hosts: { value: JSON.stringify(hosts) },
            settings: { value: JSON.stringify({ ...inv.settings, privateKeyPath: keyPath }) },
        });
        const parallel = o.parallel ?? Math.max(4, 2 * hosts.length);
        const common = { parallel, onOutput, color: "never" as const };
        let changes: Record<string, number> = {};
        if (o.action === "preview") changes = (await stack.preview(common)).changeSummary;
        else if (o.action === "up") changes = (await stack.up(common)).summary.resourceChanges ?? {};
        else if (o.action === "refresh") changes = (await stack.refresh(common)).summary.resourceChanges ?? {};
        else changes = (await stack.destroy(common)).summary.resourceChanges ?? {};
        return done({ ok: true, changes: Object.fromEntries(Object.entries(changes).filter(([, n]) => n > 0)) });
    } catch (err) {
        // The CLI's own message (it scrubs secrets); the whole output is in the slice's log.
        const msg = (err as Error).message ?? String(err);
        const lines = msg.split("\n").filter((l) => /error|failed/i.test(l)).slice(0, 3);
        return done({ ok: false, changes: {}, error: (lines.length ? lines : msg.split("\n").slice(0, 3)).join(" | ").slice(0, 500) });
    }
}

async function drive(o: DriverOptions): Promise<Summary> {
    if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        throw new Error("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts each slice's secrets");
    }
    const inv = loadInventory(o.inventoryPath);
    const slices = Object.keys(inv.slices).filter((s) => !o.only || o.only.includes(s));
    for (const s of o.only ?? []) if (!(s in inv.slices)) throw new Error(`--only: no slice ${s} in ${o.inventoryPath}`);
    mkdirSync(join(o.stateDir, "backend"), { recursive: true });
    mkdirSync(join(o.stateDir, "logs"), { recursive: true });
    const work = writeProject(o.stateDir, o.pluginDir, o.precompile ? precompile(o.stateDir) : undefined);
    // The `pulumi` on PATH, whatever its version (this example does not download a CLI).
    const cmd = await PulumiCommand.get({ skipVersionCheck: true });
    const t0 = performance.now();
    const results = await bounded(slices, o.stacks, (s) => runSlice(o, inv, work, cmd, s));
    const changes: Record<string, number> = {};
    for (const r of results) for (const [k, n] of Object.entries(r.changes)) changes[k] = (changes[k] ?? 0) + n;
    const seconds = (performance.now() - t0) / 1000;
    const summary: Summary = { action: o.action, ok: results.every((r) => r.ok), slices: results, seconds, changes };
    writeFileSync(join(o.stateDir, `summary-${o.action}.json`), JSON.stringify(summary, null, 1));
    return summary;
}

const fmt = (c: Record<string, number>) =>
    Object.entries(c)
        .map(([k, n]) => `${n} ${k}`)
        .join(", ") || "-";

function table(s: Summary): string {
    const rows = s.slices.map((r) => [r.slice, String(r.hosts), r.ok ? "ok" : "FAILED", fmt(r.changes), r.seconds.toFixed(1), r.error ?? ""]);
    const head = ["slice", "hosts", "result", "resources", "seconds", "error"];
    const all = [head, ...rows];
    const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd();
    const failed = s.slices.filter((r) => !r.ok).length;
    const hosts = s.slices.reduce((a, r) => a + r.hosts, 0);
    return [
        line(head),
        ...rows.map(line),
        "",
        `${s.action}: ${s.slices.length - failed}/${s.slices.length} slices ok, ${hosts} hosts, resources: ${fmt(s.changes)}, ${s.seconds.toFixed(1)} s`,
    ].join("\n");
}

function parseArgs(argv: string[]): DriverOptions & { json: boolean } {
    const action = argv[0] as Action;
    if (!["preview", "up", "refresh", "destroy"].includes(action)) throw new Error("usage: driver.ts preview|up|refresh|destroy [options] (see the header)");
    let inventoryPath = join(PROGRAM_DIR, "inventory.json");
    let stateDir: string | undefined;
    const o = { action, stacks: 4, pluginDir: resolve(PROGRAM_DIR, "../../bin"), json: false } as DriverOptions & { json: boolean };
    for (let i = 1; i < argv.length; i++) {
        const v = argv[i + 1];
        const num = (name: string) => {
            const n = Number(v);
            if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: a whole number >= 1, not ${v}`);
            i++;
            return n;
        };
        switch (argv[i]) {
            case "--inventory": inventoryPath = resolve(v); i++; break;
            case "--state": stateDir = resolve(v); i++; break;
            case "--stacks": o.stacks = num("--stacks"); break;
            case "--parallel": o.parallel = num("--parallel"); break;
            case "--only": o.only = v.split(","); i++; break;
            case "--plugin-dir": o.pluginDir = resolve(v); i++; break;
            case "--json": o.json = true; break;
            case "--precompile": o.precompile = true; break;
            case "--inline": o.inline = true; break;
            default: throw new Error(`unknown option ${argv[i]}`);
        }
    }
    if (o.inline && o.precompile) throw new Error("--inline runs the program in this process: --precompile does not apply");
    o.inventoryPath = inventoryPath;
    o.stateDir = stateDir ?? join(dirname(inventoryPath), ".fleet-state");
    return o;
}

if (require.main === module) {
    (async () => {
        const o = parseArgs(process.argv.slice(2));
        const s = await drive(o);
        process.stdout.write((o.json ? JSON.stringify(s, null, 1) : table(s)) + "\n");
        process.exit(s.ok ? 0 : 1);
    })().catch((err) => {
        process.stderr.write(`fleet driver: ${(err as Error).message}\n`);
        process.exit(2);
    });
}
