// The fleet benchmark: our Pulumi provider against Ansible (ansible.posix.sysctl) and pyinfra on a
// fleet of real sshd hosts in network namespaces (bench/fleet.sh), behind a delay proxy
// (bench/delay-proxy.ts). bench/run.sh sets the machine up and calls this with the fleet's directory.
//
//   npx tsx bench/bench.ts --fleet DIR [--hosts 1,10,50] [--latency 0,25] [--reps 3] [--reps-large 1 --large-n 200]
//                          [--tools ours,ansible,pyinfra] [--ansible-max-n N] [--pyinfra-max-n N]
//                          [--slices K] [--knobs]
//
// Scenarios per tool, fleet size and latency: (1) first apply on pristine hosts, (2) no-op
// re-apply (ours: `pulumi up --yes --skip-preview`, and the plain `pulumi up --yes` a user types:
// preview, then update), (3) the plan after drift on 10 % of the hosts (ours: `pulumi preview
// --refresh` and the plain `pulumi preview`, Ansible: `--check --diff`, pyinfra: `--dry --diff`).
// With --slices K: the same no-op through examples/fleet/driver.ts, K stacks of N/K hosts at once
// against one stack of N. With --knobs: the engine's own knobs on the no-op (PULUMI_SKIP_CHECKPOINTS,
// the default --parallel). Two floors per configuration: the provider's ssh2 code without Pulumi, and
// plain OpenSSH (`ssh` with the same key, one read per host, all hosts at once).
// Every run is checked (hosts really changed,
// no-op really changed nothing, plan saw exactly the drifted hosts), so a fast wrong answer cannot
// pass as a result. Remote commands per host are counted from each sshd's VERBOSE log, the same way
// for every tool; ours are also counted from KH_TRACE_FILE.
import { ChildProcess, spawn, spawnSync } from "child_process";
import {
    closeSync,
    existsSync,
    mkdirSync,
    openSync,
    readFileSync,
    readSync,
    rmSync,
    statSync,
    writeFileSync,
} from "fs";
import { loadavg } from "os";
import { join, resolve } from "path";
import { performance } from "perf_hooks";

const BENCH = __dirname;
const ROOT = resolve(BENCH, "..");
const OUT = join(BENCH, "out");
const VENV = join(BENCH, ".venv");
/** Proxy port = host's socat port + this. */
const PROXY_OFFSET = 1000;

// ---------------------------------------------------------------------------------------------
// The keys: 30 per-network-namespace net.* settings, each set to a hardening value that differs
// from the kernel default, so the first apply really changes all 30 on every host.
export const ENTRIES: Record<string, string> = {
    "net.ipv4.conf.all.rp_filter": "1",
    "net.ipv4.conf.default.rp_filter": "1",
    "net.ipv4.conf.all.accept_redirects": "0",
    "net.ipv4.conf.default.accept_redirects": "0",
    "net.ipv4.conf.all.secure_redirects": "0",
    "net.ipv4.conf.default.secure_redirects": "0",
    "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.default.send_redirects": "0",
    "net.ipv4.conf.default.accept_source_route": "0",
    "net.ipv4.conf.all.log_martians": "1",
    "net.ipv4.conf.default.log_martians": "1",
    "net.ipv4.conf.all.arp_ignore": "1",
    "net.ipv4.conf.all.arp_announce": "2",
    "net.ipv4.conf.all.drop_gratuitous_arp": "1",
    "net.ipv4.tcp_rfc1337": "1",
    "net.ipv4.tcp_fin_timeout": "15",
    "net.ipv4.tcp_keepalive_time": "600",
    "net.ipv4.tcp_keepalive_intvl": "30",
    "net.ipv4.tcp_keepalive_probes": "5",
    "net.ipv4.tcp_max_syn_backlog": "4096",
    "net.ipv4.tcp_synack_retries": "2",
    "net.ipv4.tcp_syn_retries": "3",
    "net.ipv4.tcp_retries2": "8",
    "net.ipv4.tcp_mtu_probing": "1",
    "net.ipv4.tcp_slow_start_after_idle": "0",
    "net.ipv4.icmp_ratelimit": "100",
    "net.ipv6.conf.all.accept_ra": "0",
    "net.ipv6.conf.default.accept_ra": "0",
    "net.ipv6.conf.all.accept_redirects": "0",
    "net.ipv6.conf.default.accept_redirects": "0",
};
const KEYS = Object.keys(ENTRIES);
const DRIFT_KEY = "net.ipv4.tcp_fin_timeout";
const DROPIN = "90-bench.conf";
/** The many-stacks scenario's drop-ins: `91-fleet-K.conf` for the layout with K stacks. */
const FLEET_DROPIN = "91-fleet";

// ---------------------------------------------------------------------------------------------
interface Host {
    name: string;
    ns: string;
    port: number;
    hostKey: string;
    dir: string;
}

interface Opts {
    fleet: string;
    hosts: number[];
    latency: number[];
    reps: number;
    /** Repetitions at N >= largeN (one is enough where a run takes many minutes). */
    repsLarge: number;
    largeN: number;
    tools: string[];
    /** pyinfra only up to this fleet size (its runs at N = 50 cost ~40 min on this machine). */
    pyinfraMaxN: number;
    /** Ansible only up to this fleet size (its forks load a shared machine). */
    ansibleMaxN: number;
    /** > 1: the many-stacks scenario with this many slices (examples/fleet driver). */
    slices: number;
    /** Run the engine-knob variants of the no-op. */
    knobs: boolean;
    /** --knobs A,B: only these knobs; empty: all. */
    knobList: string[];
    /** The stacks' program: tsc output run with `typescript: false` (js), or index.ts through ts-node (ts). */
    program: "js" | "ts";
}

function parseArgs(argv: string[]): Opts {
    const o: Opts = {
        fleet: "",
        hosts: [1, 10, 50],
        latency: [0, 25],
        reps: 3,
        repsLarge: Infinity,
        largeN: 200,
        tools: ["ours", "ansible", "pyinfra"],
        pyinfraMaxN: Infinity,
        ansibleMaxN: Infinity,
        slices: 0,
        knobs: false,
        knobList: [],
        program: "js",
    };
    for (let i = 0; i < argv.length; i++) {
        const v = argv[i + 1];
        switch (argv[i]) {
            case "--fleet":
                o.fleet = v;
                i++;
                break;
            case "--hosts":
                o.hosts = v.split(",").map(Number);
                i++;
                break;
            case "--latency":
                o.latency = v.split(",").map(Number);
                i++;
                break;
            case "--reps":
                o.reps = Number(v);
                i++;
                break;
            case "--reps-large":
                o.repsLarge = Number(v);
                i++;
                break;
            case "--large-n":
                o.largeN = Number(v);
                i++;
                break;
            case "--tools":
                o.tools = v.split(",");
                i++;
                break;
            case "--pyinfra-max-n":
                o.pyinfraMaxN = Number(v);
                i++;
                break;
            case "--ansible-max-n":
                o.ansibleMaxN = Number(v);
                i++;
                break;
            case "--slices":
                o.slices = Number(v);
                i++;
                break;
            case "--knobs":
                o.knobs = true;
                // An optional list: only these knobs (names as in the Knob type).
                if (v && !v.startsWith("--")) {
                    o.knobList = v.split(",");
                    i++;
                }
                break;
            case "--program":
                if (v !== "js" && v !== "ts") throw new Error("--program is js or ts");
                o.program = v;
                i++;
                break;
            default:
                throw new Error(`unknown option ${argv[i]}`);
        }
    }
    if (!o.fleet) throw new Error("--fleet DIR is required (bench/run.sh starts the fleet)");
    return o;
}

function log(msg: string) {
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function sh(script: string, what: string): string {
    // On stdin: at N = 200 a script for every host is longer than one argument may be (128 KiB).
    const r = spawnSync("bash", ["-s"], { input: script, encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}${r.error ?? ""}`);
    return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// Hosts: pristine state, drift, and checks, done from outside through `ip netns exec` (never over
// the SSH path being measured).
class Fleet {
    readonly defaults: Record<string, string>;

    constructor(
        readonly hosts: Host[],
        readonly keyFile: string,
    ) {
        // Every namespace starts from the same values: read them on one host before anything ran.
        const out = sh(`ip netns exec ${hosts[0].ns} sysctl -n ${KEYS.join(" ")}`, "reading defaults")
            .trim()
            .split("\n");
        this.defaults = Object.fromEntries(KEYS.map((k, i) => [k, out[i].trim()]));
        for (const k of KEYS)
            if (this.defaults[k] === ENTRIES[k])
                throw new Error(`${k} already is ${ENTRIES[k]} by default: pick another value`);
    }

    /** Back to a never-configured host: kernel defaults, no drop-in, no recorded values, no tool state. */
    reset(hosts: Host[]) {
        const pairs = KEYS.map((k) => `${k}=${this.defaults[k]}`).join(" ");
        sh(
            hosts
                .map(
                    (h) =>
                        `ip netns exec ${h.ns} sysctl -q -w ${pairs} >/dev/null && rm -rf ${h.dir}/etc-sysctl.d/${DROPIN} ${h.dir}/etc-sysctl.d/.${DROPIN}.* ${h.dir}/etc-sysctl.d/${FLEET_DROPIN}-* ${h.dir}/etc-sysctl.d/.${FLEET_DROPIN}-* ${h.dir}/var-lib-kh/* ${h.dir}/run-lock/* ${h.dir}/root/.ansible ${h.dir}/tmp/*`,
                )
                .join(" && "),
            "resetting hosts",
        );
    }

    drift(hosts: Host[]) {
        sh(
            hosts
                .map((h) => `ip netns exec ${h.ns} sysctl -q -w ${DRIFT_KEY}=${this.defaults[DRIFT_KEY]}`)
                .join(" && "),
            "drifting hosts",
        );
    }

    /** Hosts whose live values or drop-in do not hold every desired entry. */
    notApplied(hosts: Host[]): string[] {
        const bad: string[] = [];
        for (const h of hosts) {
            const live = sh(`ip netns exec ${h.ns} sysctl -n ${KEYS.join(" ")}`, "reading values")
                .trim()
                .split("\n");
            const file = existsSync(join(h.dir, "etc-sysctl.d", DROPIN))
                ? readFileSync(join(h.dir, "etc-sysctl.d", DROPIN), "utf8")
                : "";
            const persisted = new Map(
                file.split("\n").map((l) => l.split("=").map((s) => s.trim()) as [string, string]),
            );
            KEYS.forEach((k, i) => {
                if (live[i].trim() !== ENTRIES[k]) bad.push(`${h.name}: ${k} live ${live[i].trim()}`);
                else if (persisted.get(k) !== ENTRIES[k]) bad.push(`${h.name}: ${k} not persisted`);
            });
        }
        return bad;
    }

    /** sshd log sizes now, to count what a run adds. */
    logMarks(hosts: Host[]): number[] {
        return hosts.map((h) => (existsSync(join(h.dir, "sshd.log")) ? statSync(join(h.dir, "sshd.log")).size : 0));
    }

    /** Per host: remote commands ("Starting session") and SSH logins since the marks. */
    sshdCounts(hosts: Host[], marks: number[]): { cmds: number[]; conns: number[] } {
        const cmds: number[] = [];
        const conns: number[] = [];
        hosts.forEach((h, i) => {
            const p = join(h.dir, "sshd.log");
            const size = statSync(p).size;
            const buf = Buffer.alloc(size - marks[i]);
            const fd = openSync(p, "r");
            readSync(fd, buf, 0, buf.length, marks[i]);
            closeSync(fd);
            const text = buf.toString("utf8");
            cmds.push((text.match(/Starting session:/g) ?? []).length);
            conns.push((text.match(/Accepted publickey/g) ?? []).length);
        });
        return { cmds, conns };
    }
}

// ---------------------------------------------------------------------------------------------
// The delay proxy, restarted per latency.
class Proxy {
    private child?: ChildProcess;

    async start(hosts: Host[], delayMs: number) {
        const maps = hosts.map((h) => `${h.port + PROXY_OFFSET}:${h.port}`);
        const child = spawn(
            process.execPath,
            [...process.execArgv, join(BENCH, "delay-proxy.ts"), String(delayMs), ...maps],
            { stdio: ["pipe", "pipe", "inherit"] },
        );
        this.child = child;
        await new Promise<void>((res, rej) => {
            child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && res());
            child.on("exit", (c) => rej(new Error(`delay proxy exited (${c})`)));
        });
    }

    async stop() {
        const c = this.child;
        if (!c || c.exitCode !== null) return;
        const gone = new Promise((r) => c.on("exit", r));
        c.stdin!.end();
        c.kill();
        await gone;
    }
}

// ---------------------------------------------------------------------------------------------
/** One line of a provider process's KH_MEMORY_TRACE (MB). */
interface MemorySample {
    pid: number;
    rss: number;
    heapUsed: number;
    heapTotal: number;
    external: number;
    arrayBuffers: number;
}

interface RunResult {
    ok: boolean;
    detail: string;
    /** Extra figures (ours: trace counts, provider memory, timeline). */
    extra?: Record<string, unknown>;
}

interface Tool {
    name: string;
    prepare(hosts: Host[]): Promise<void>;
    /** Forget what the tool recorded (ours: the stack's state), before a first apply. */
    resetState(): void;
    apply(kind: "first" | "noop"): Promise<RunResult>;
    plan(drifted: number): Promise<RunResult>;
}

/** The tool command running now, ended with the bench on Ctrl-C or SIGTERM. */
let current: ChildProcess | undefined;

function run(
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    logFile: string,
    cwd = OUT,
): Promise<{ code: number; out: string }> {
    return new Promise((res) => {
        // Its own process group, so the whole tool (pulumi and its plugins, ansible's workers) can be ended.
        const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
        current = child;
        const chunks: Buffer[] = [];
        child.stdout.on("data", (d) => chunks.push(d));
        child.stderr.on("data", (d) => chunks.push(d));
        child.on("close", (code) => {
            current = undefined;
            const out = Buffer.concat(chunks).toString("utf8");
            writeFileSync(logFile, `$ ${cmd} ${args.join(" ")}\n${out}`);
            res({ code: code ?? 1, out });
        });
    });
}

let logSeq = 0;
const logPath = (what: string) => join(OUT, "logs", `${String(++logSeq).padStart(4, "0")}-${what}.log`);

type Knob =
    | "skip-checkpoints"
    | "parallel-default"
    | "skip-checkpoints+preview"
    | "ts-program"
    | "ts-program+preview"
    | "js-program"
    | "js-program+preview"
    | "run-program+preview"
    | "max-connections-64"
    | "heap-v8-default"
    | "optimize-for-size";
type ProfileKind = "noop" | "noop-up" | "plan" | "preview";

// --- ours: the real Pulumi CLI, local file backend, one Sysctl per host -------------------------
class Ours implements Tool {
    name = "ours";
    private dir: string;
    private env: NodeJS.ProcessEnv;
    private stack = "";
    private emptyState = "";
    private hosts: Host[] = [];

    /** precompiled: the program's tsc output folder, run with `typescript: false` (no ts-node compile). */
    constructor(
        cliDir: string,
        private keyFile: string,
        private precompiled?: string,
        name = precompiled ? "pulumi-js" : "pulumi",
    ) {
        this.dir = join(OUT, name);
        this.env = {
            ...process.env,
            PATH: `${cliDir}:${process.env.PATH}`,
            PULUMI_HOME: join(this.dir, "home"),
            PULUMI_BACKEND_URL: `file://${join(this.dir, "backend")}`,
            PULUMI_CONFIG_PASSPHRASE: "kh-bench",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            NO_COLOR: "1",
        };
        rmSync(this.dir, { recursive: true, force: true });
        mkdirSync(join(this.dir, "backend"), { recursive: true });
        mkdirSync(join(this.dir, "home"), { recursive: true });
        this.writeProject(precompiled);
    }

    /** Pulumi.yaml: the program as TypeScript (ts-node) or precompiled (`typescript: false`, tsc output). */
    writeProject(precompiled?: string) {
        // The bench plugin dir: the real provider, wrapped to report its peak memory.
        writeFileSync(
            join(this.dir, "Pulumi.yaml"),
            [
                "name: kh-bench",
                "runtime:",
                "  name: nodejs",
                "  options:",
                `    typescript: ${precompiled ? "false" : "true"}`,
                `main: ${precompiled ?? join(BENCH, "program")}/`,
                "plugins:",
                "  providers:",
                "    - name: kernelhardening",
                `      path: ${join(BENCH, "plugin")}`,
                "",
            ].join("\n"),
        );
    }

    pulumi(args: string[], logFile: string, env: NodeJS.ProcessEnv = {}) {
        return run(
            "pulumi",
            ["--non-interactive", "--color", "never", "--stack", this.stack, ...args],
            { ...this.env, ...env },
            logFile,
            this.dir,
        );
    }

    private async ok(args: string[], stdin?: string) {
        const r = spawnSync("pulumi", ["--non-interactive", ...args], {
            cwd: this.dir,
            env: this.env,
            input: stdin,
            encoding: "utf8",
        });
        if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")}: ${r.stdout}${r.stderr}`);
        return r.stdout;
    }

    async prepare(hosts: Host[]) {
        this.hosts = hosts;
        this.stack = `n${hosts.length}`;
        await this.ok(["stack", "init", this.stack]);
        const cfg = (k: string, v: string, secret = false) =>
            this.ok(["config", "set", "--stack", this.stack, secret ? "--secret" : "--plaintext", k], v);
        await cfg(
            "hosts",
            JSON.stringify(hosts.map((h) => ({ name: h.name, port: h.port + PROXY_OFFSET, hostKey: h.hostKey }))),
        );
        await cfg("entries", JSON.stringify(ENTRIES));
        await cfg("privateKey", readFileSync(this.keyFile, "utf8"), true);
        // The stack's checkpoint right after init: restoring it is "no state yet" for a first apply.
        this.emptyState = readFileSync(this.checkpoint(), "utf8");
    }

    private checkpoint() {
        return join(this.dir, "backend", ".pulumi", "stacks", "kh-bench", `${this.stack}.json`);
    }

    resetState() {
        writeFileSync(this.checkpoint(), this.emptyState);
    }

    private parallel() {
        return String(Math.max(2 * this.hosts.length, 4));
    }

    /** Runs a CLI command with a fresh trace file and memory file; returns the output and our counts. */
    private async measured(args: string[], what: string, env: NodeJS.ProcessEnv = {}) {
        const trace = join(OUT, "tmp", "trace.jsonl");
        const mem = join(OUT, "tmp", "mem.txt");
        const memTrace = join(OUT, "tmp", "memtrace.jsonl");
        rmSync(trace, { force: true });
        rmSync(mem, { force: true });
        rmSync(memTrace, { force: true });
        const t0 = Date.now();
        const r = await this.pulumi(args, logPath(what), {
            ...env,
            KH_TRACE_FILE: trace,
            KH_BENCH_MEM_FILE: mem,
            KH_MEMORY_TRACE: memTrace,
        });
        const t1 = Date.now();
        const lines = existsSync(trace)
            ? readFileSync(trace, "utf8")
                  .trim()
                  .split("\n")
                  .filter(Boolean)
                  .map((l) => JSON.parse(l) as { t: number; pid: number; host: string; op: string })
                  .filter((l) => l.host !== "-") // the engine's Cancel, traced too: not a remote command
            : [];
        const perHost: Record<string, number> = {};
        for (const h of this.hosts) perHost[`127.0.0.1:${h.port + PROXY_OFFSET}`] = 0;
        for (const l of lines) perHost[l.host] = (perHost[l.host] ?? 0) + 1;
        const ops: Record<string, number> = {};
        for (const l of lines) ops[l.op] = (ops[l.op] ?? 0) + 1;
        const memLines = existsSync(mem)
            ? readFileSync(mem, "utf8")
                  .trim()
                  .split("\n")
                  .filter((l) => /^\d+ /.test(l))
            : [];
        const rssKb = memLines.map((l) => Number(l.split(" ")[0]));
        // What the largest provider process held at its peak (KH_MEMORY_TRACE, sampled every 250 ms).
        const samples = existsSync(memTrace)
            ? readFileSync(memTrace, "utf8")
                  .trim()
                  .split("\n")
                  .filter(Boolean)
                  .map((l) => JSON.parse(l) as MemorySample)
            : [];
        const top = samples.reduce<MemorySample | undefined>((a, b) => (!a || b.rss > a.rss ? b : a), undefined);
        const ts = lines.map((l) => l.t);
        // Per provider process (pid): its commands, and on how many hosts. A provider process opens
        // one connection per host, so the distinct pids per host are its SSH handshakes per run.
        const byPid = new Map<number, { cmds: number; hosts: Set<string>; first: number; last: number }>();
        for (const l of lines) {
            const e = byPid.get(l.pid) ?? { cmds: 0, hosts: new Set<string>(), first: l.t, last: l.t };
            e.cmds++;
            e.hosts.add(l.host);
            e.first = Math.min(e.first, l.t);
            e.last = Math.max(e.last, l.t);
            byPid.set(l.pid, e);
        }
        const s = (t: number) => (t - t0) / 1000;
        const pidsOf = (h: string) => new Set(lines.filter((l) => l.host === h).map((l) => l.pid)).size;
        const pidsPerHost = Object.keys(perHost).map(pidsOf);
        return {
            r,
            extra: {
                t0,
                t1,
                cmdTimes: ts,
                traceCmds: Object.values(perHost),
                traceOps: ops,
                pidsPerHost,
                // In start order: the engine's phases (preview, update) each get their own processes.
                cmdsByPid: [...byPid.values()]
                    .sort((a, b) => a.first - b.first)
                    .map((e) => ({ cmds: e.cmds, hosts: e.hosts.size, first: s(e.first), last: s(e.last) })),
                providerProcs: rssKb.length,
                providerTotalMB: rssKb.reduce((a, b) => a + b, 0) / 1024,
                providerPeakMB: rssKb.length ? Math.max(...rssKb) / 1024 : undefined,
                // At the sampled RSS peak: V8's heap (used, reserved) and memory outside it (Buffers, ssh2's crypto).
                providerPeakSample: top,
                // Where the time goes: before the first remote command (CLI, program, engine, provider
                // start, SSH handshakes), between the first and last, and after the last one.
                timeline: ts.length
                    ? {
                          toFirstCmd: (Math.min(...ts) - t0) / 1000,
                          cmdSpan: (Math.max(...ts) - Math.min(...ts)) / 1000,
                          afterLastCmd: (t1 - Math.max(...ts)) / 1000,
                      }
                    : undefined,
            },
        };
    }

    async apply(kind: "first" | "noop"): Promise<RunResult> {
        return this.up(kind, ["--skip-preview", "--parallel", this.parallel()]);
    }

    /** The plain no-op `pulumi up --yes` a user types: a preview, then the update. */
    async noopUp(): Promise<RunResult> {
        return this.up("noop", ["--parallel", this.parallel()], {}, "noop-up");
    }

    /** The no-op with one of the engine's knobs (ours only, reported apart from the main table). */
    /** The precompiled program, for the js-program knob of a run whose stacks run TypeScript. */
    jsProgram?: string;

    async knob(variant: Knob): Promise<RunResult> {
        const plain = variant.endsWith("+preview");
        const args = plain ? [] : ["--skip-preview"];
        const env: NodeJS.ProcessEnv = {};
        if (variant.startsWith("skip-checkpoints")) env.PULUMI_SKIP_CHECKPOINTS = "true";
        // The provider's memory: fewer SSH connections at once, V8's own heap growth, V8's size mode.
        if (variant === "max-connections-64") env.KH_SSH_MAX_CONNECTIONS = "64";
        if (variant === "heap-v8-default") env.KH_HEAP_GROWING_PERCENT = "0";
        if (variant === "optimize-for-size") env.KH_OPTIMIZE_FOR_SIZE = "1";
        // Every resource of ours refreshes before an update anyway; with --run-program the engine does it
        // while the program runs (deploymentExecutor.Execute), not in a pass of its own before it.
        if (variant.startsWith("run-program")) args.push("--refresh", "--run-program");
        // The CLI's default --parallel (8) against our 2N.
        if (!variant.startsWith("parallel-default")) args.push("--parallel", this.parallel());
        // The other program form than the main runs use, on the same stack and state.
        const swap = variant.startsWith("ts-program") || variant.startsWith("js-program");
        if (swap) this.writeProject(variant.startsWith("ts-program") ? undefined : this.jsProgram);
        try {
            return await this.up("noop", args, env, `knob-${variant}`);
        } finally {
            if (swap) this.writeProject(this.precompiled);
        }
    }

    private async up(
        kind: "first" | "noop",
        args: string[],
        env: NodeJS.ProcessEnv = {},
        what: string = kind,
    ): Promise<RunResult> {
        const { r, extra } = await this.measured(["up", "--yes", ...args], `ours-${what}-n${this.hosts.length}`, env);
        const n = this.hosts.length;
        // The summary after the last "Resources:" line (progress lines also say "created").
        const summary = r.out.slice(r.out.lastIndexOf("Resources:"));
        const counts = [...summary.matchAll(/(\d+) (created|updated|deleted|replaced)/g)].map((m) => `${m[1]} ${m[2]}`);
        const ok =
            r.code === 0 &&
            (kind === "first"
                ? counts.join(",") === `${n + 1} created`
                : counts.length === 0 && new RegExp(`${n + 1} unchanged`).test(summary));
        return { ok, detail: r.code === 0 ? counts.join(", ") || "no changes" : r.out.slice(-2000), extra };
    }

    /**
     * One extra run (not in the medians) with the engine's own log (-v=9 --logflow), to see where
     * the time goes: CLI start, provider processes, remote commands, the TypeScript program, the end.
     */
    async profile(kind: ProfileKind): Promise<Record<string, number>> {
        const args = {
            noop: ["up", "--yes", "--skip-preview"],
            "noop-up": ["up", "--yes"],
            plan: ["preview", "--refresh"],
            preview: ["preview"],
        }[kind];
        const { r, extra } = await this.measured(
            [...args, "--parallel", this.parallel(), "--logtostderr", "-v=9", "--logflow"],
            `ours-profile-${kind}-n${this.hosts.length}`,
        );
        const t0 = (extra as { t0: number }).t0;
        const events: Array<{ t: number; msg: string }> = [];
        for (const line of r.out.split("\n")) {
            if (!line.startsWith('{"time"')) continue;
            try {
                const j = JSON.parse(line) as { time: string; msg: string };
                events.push({ t: Date.parse(j.time), msg: j.msg });
            } catch {
                /* a log line cut by another writer */
            }
        }
        const first = (re: RegExp) => events.find((e) => re.test(e.msg))?.t ?? NaN;
        const last = (re: RegExp) => [...events].reverse().find((e) => re.test(e.msg))?.t ?? NaN;
        const launches = events.filter((e) => /Launching plugin 'kernelhardening/.test(e.msg)).map((e) => e.t);
        // The file backend logs each state write it makes (V(7)): the engine's checkpoints.
        const checkpoints = events.filter((e) => /Saved stack \S+ checkpoint/.test(e.msg)).length;
        const cmds = (extra as { cmdTimes: number[] }).cmdTimes;
        const s = (t: number) => (t - t0) / 1000;
        return {
            engineStart: s(first(/\*\*\* Starting Update/)),
            providerLaunches: launches.length,
            checkpointWrites: checkpoints,
            updatePhases: events.filter((e) => /\*\*\* Starting Update/.test(e.msg)).length,
            firstProviderLaunch: s(launches[0] ?? NaN),
            lastProviderLaunch: s(launches[launches.length - 1] ?? NaN),
            firstCmd: s(Math.min(...cmds)),
            lastCmd: s(Math.max(...cmds)),
            programRun: s(first(/langhost\[nodejs\]\.Run\(/)),
            firstRegister: s(first(/received RegisterResourceEvent/)),
            programExited: s(first(/Program exited/)),
            engineDone: s(last(/\*\*\* Update\(preview=(true|false)\) complete/)),
            end: s((extra as { t1: number }).t1),
        };
    }

    async plan(drifted: number, refresh = true): Promise<RunResult> {
        const args = refresh ? ["preview", "--refresh", "--diff"] : ["preview", "--diff"];
        const { r, extra } = await this.measured(
            [...args, "--parallel", this.parallel()],
            `ours-${refresh ? "plan" : "preview"}-n${this.hosts.length}`,
        );
        const m = /~ (\d+) to update/.exec(r.out);
        const upd = m ? Number(m[1]) : 0;
        // The plan must name the drifted key with the value found and the one wanted.
        const shows =
            r.out.includes(`"${DRIFT_KEY}": "60" => "15"`) ||
            new RegExp(`${DRIFT_KEY.replace(/\./g, "\\.")}.*60.*=>.*15`).test(r.out);
        return {
            ok: r.code === 0 && upd === drifted && shows,
            detail: r.code === 0 ? `${upd} to update` : r.out.slice(-2000),
            extra,
        };
    }
}

// --- Ansible ---------------------------------------------------------------------------------
class Ansible implements Tool {
    name = "ansible";
    private dir = join(OUT, "ansible");
    private hosts: Host[] = [];

    constructor(private keyFile: string) {}

    async prepare(hosts: Host[]) {
        this.hosts = hosts;
        rmSync(this.dir, { recursive: true, force: true });
        mkdirSync(this.dir, { recursive: true });
        const inv = [
            "[fleet]",
            ...hosts.map((h) => `${h.name} ansible_host=127.0.0.1 ansible_port=${h.port + PROXY_OFFSET}`),
            "",
            "[fleet:vars]",
            "ansible_user=root",
            `ansible_ssh_private_key_file=${this.keyFile}`,
            "ansible_python_interpreter=/usr/bin/python3",
            "",
        ];
        writeFileSync(join(this.dir, "inventory.ini"), inv.join("\n"));
        writeFileSync(
            join(this.dir, "known_hosts"),
            hosts.map((h) => `[127.0.0.1]:${h.port + PROXY_OFFSET} ${h.hostKey}\n`).join(""),
        );
        writeFileSync(join(this.dir, "vars.json"), JSON.stringify({ sysctl_entries: ENTRIES }));
        // forks >= N, pipelining (one SSH command per module run), ControlPersist (one SSH
        // connection per host, shared by all tasks), host keys checked against our known_hosts.
        writeFileSync(
            join(this.dir, "ansible.cfg"),
            [
                "[defaults]",
                `inventory = ${join(this.dir, "inventory.ini")}`,
                `forks = ${Math.max(hosts.length, 5)}`,
                "host_key_checking = True",
                "gathering = explicit",
                "retry_files_enabled = False",
                "interpreter_python = /usr/bin/python3",
                `local_tmp = ${join(this.dir, "tmp")}`,
                "",
                "[ssh_connection]",
                "pipelining = True",
                `ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${join(this.dir, "known_hosts")} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
                "",
            ].join("\n"),
        );
    }

    resetState() {}

    private async playbook(extraArgs: string[], what: string) {
        // A fresh ControlPath directory per run: every run starts without open connections, as a
        // new `pulumi` process does; the masters are closed afterwards.
        const cp = join(this.dir, `cp-${logSeq + 1}`);
        mkdirSync(cp, { recursive: true });
        const env = {
            ...process.env,
            ANSIBLE_CONFIG: join(this.dir, "ansible.cfg"),
            ANSIBLE_HOME: join(this.dir, "home"),
            ANSIBLE_SSH_CONTROL_PATH_DIR: cp,
            ANSIBLE_NOCOLOR: "1",
            ANSIBLE_FORCE_COLOR: "0",
        };
        const r = await run(
            "ansible-playbook",
            [join(BENCH, "ansible", "sysctl.yml"), "-e", `@${join(this.dir, "vars.json")}`, ...extraArgs],
            env,
            logPath(what),
            this.dir,
        );
        sh(
            `for s in ${cp}/*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit 127.0.0.1 2>/dev/null; done; rm -rf ${cp}`,
            "closing Ansible's SSH masters",
        );
        // PLAY RECAP: host : ok=30 changed=30 unreachable=0 failed=0 ...
        const recap = new Map<string, { changed: number; bad: number }>();
        for (const m of r.out.matchAll(/^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm))
            recap.set(m[1], { changed: Number(m[2]), bad: Number(m[3]) + Number(m[4]) });
        return { r, recap };
    }

    async apply(kind: "first" | "noop"): Promise<RunResult> {
        const { r, recap } = await this.playbook([], `ansible-${kind}-n${this.hosts.length}`);
        // The recap counts the looped task once; the per-item lines say which keys changed.
        const items = new Map<string, number>();
        for (const m of r.out.matchAll(/^changed: \[(\S+)\] => \(item=/gm)) items.set(m[1], (items.get(m[1]) ?? 0) + 1);
        const want = kind === "first" ? KEYS.length : 0;
        const ok =
            r.code === 0 &&
            recap.size === this.hosts.length &&
            [...recap.values()].every((v) => v.bad === 0) &&
            this.hosts.every((h) => (items.get(h.name) ?? 0) === want);
        return {
            ok,
            detail:
                `keys changed per host: ${[...new Set(this.hosts.map((h) => items.get(h.name) ?? 0))].join("/")}` +
                (ok ? "" : "\n" + r.out.slice(-2000)),
        };
    }

    async plan(drifted: number): Promise<RunResult> {
        const { r, recap } = await this.playbook(["--check", "--diff"], `ansible-plan-n${this.hosts.length}`);
        const hostsChanged = [...recap.values()].filter((v) => v.changed > 0).length;
        const ok =
            r.code === 0 &&
            recap.size === this.hosts.length &&
            hostsChanged === drifted &&
            [...recap.values()].every((v) => v.bad === 0);
        return { ok, detail: `${hostsChanged} hosts would change` + (ok ? "" : "\n" + r.out.slice(-2000)) };
    }
}

// --- pyinfra ---------------------------------------------------------------------------------
class Pyinfra implements Tool {
    name = "pyinfra";
    private dir = join(OUT, "pyinfra");
    private hosts: Host[] = [];

    constructor(private keyFile: string) {}

    async prepare(hosts: Host[]) {
        this.hosts = hosts;
        rmSync(this.dir, { recursive: true, force: true });
        mkdirSync(this.dir, { recursive: true });
        writeFileSync(
            join(this.dir, "known_hosts"),
            hosts.map((h) => `[127.0.0.1]:${h.port + PROXY_OFFSET} ${h.hostKey}\n`).join(""),
        );
        writeFileSync(join(this.dir, "entries.json"), JSON.stringify(ENTRIES));
        const data = (h: Host) =>
            `{"ssh_hostname": "127.0.0.1", "ssh_port": ${h.port + PROXY_OFFSET}, "ssh_user": "root", "ssh_key": ${JSON.stringify(this.keyFile)}, ` +
            `"ssh_known_hosts_file": ${JSON.stringify(join(this.dir, "known_hosts"))}, "ssh_strict_host_key_checking": "yes"}`;
        writeFileSync(
            join(this.dir, "inventory.py"),
            `fleet = [\n${hosts.map((h) => `    (${JSON.stringify(h.name)}, ${data(h)}),`).join("\n")}\n]\n`,
        );
    }

    resetState() {}

    private pyinfra(extraArgs: string[], what: string) {
        const env = {
            ...process.env,
            KH_BENCH_ENTRIES: join(this.dir, "entries.json"),
            PYINFRA_PROGRESS: "off",
            NO_COLOR: "1",
        };
        return run(
            join(VENV, "bin", "pyinfra"),
            [
                ...extraArgs,
                "--parallel",
                String(Math.max(this.hosts.length, 1)),
                join(this.dir, "inventory.py"),
                join(BENCH, "pyinfra", "deploy.py"),
            ],
            env,
            logPath(what),
            this.dir,
        );
    }

    async apply(kind: "first" | "noop"): Promise<RunResult> {
        const r = await this.pyinfra(["-y"], `pyinfra-${kind}-n${this.hosts.length}`);
        // Results table, last row: "Grand total  HOSTS  SUCCESS  ERROR  NO-CHANGE" ("-" is 0), one
        // count per host and operation: a first apply changes all, a no-op none.
        const m = /Grand total\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/.exec(r.out);
        const [total, success, error, same] = m ? m.slice(1).map((x) => (x === "-" ? 0 : Number(x))) : [0, 0, -1, 0];
        const want = this.hosts.length * KEYS.length;
        const ok =
            r.code === 0 && total === want && error === 0 && (kind === "first" ? success === want : same === want);
        return {
            ok,
            detail: `${success} changed, ${same} unchanged, ${error} errors` + (ok ? "" : "\n" + r.out.slice(-2000)),
        };
    }

    async plan(drifted: number): Promise<RunResult> {
        const r = await this.pyinfra(["--dry", "--diff"], `pyinfra-plan-n${this.hosts.length}`);
        // "Detected changes" table: per operation, how many hosts it would change.
        const rows = [...r.out.matchAll(/^\s*sysctl (\S+)\s+(\d+|-)/gm)].map((m) => ({
            key: m[1],
            hosts: m[2] === "-" ? 0 : Number(m[2]),
        }));
        const drift = rows.find((x) => x.key === DRIFT_KEY)?.hosts ?? 0;
        const ok =
            r.code === 0 &&
            rows.length === KEYS.length &&
            drift === drifted &&
            rows.every((x) => x.key === DRIFT_KEY || x.hosts === 0);
        return { ok, detail: `${drift} hosts would change` + (ok ? "" : "\n" + r.out.slice(-2000)) };
    }
}

// ---------------------------------------------------------------------------------------------
// Many stacks against one big stack: examples/fleet's Automation API driver over ours' hosts, split
// into K slices (K stacks at once), or one slice of all N. Each layout manages its own drop-in
// (91-fleet-K.conf) with the bench's entries, so the two layouts and the bench stack never share a file.
async function fleetStacks(
    cliDir: string,
    hosts: Host[],
    keyFile: string,
    k: number,
    phase: "setup" | "noop",
    /** precompiled / ts: a language host per stack and phase runs the program as JS / TypeScript;
     *  inline: the driver's own process runs it. */
    mode: "precompiled" | "ts" | "inline",
): Promise<RunResult> {
    const n = hosts.length;
    const dir = join(OUT, "fleet", `n${n}-k${k}`);
    if (phase === "setup") {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(join(dir, "home"), { recursive: true });
    }
    const slices: Record<string, Array<{ name: string; host: string; port: number; hostKey: string }>> = {};
    for (let i = 0; i < k; i++) {
        const part = hosts.slice(Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k));
        slices[`s${i + 1}`] = part.map((h) => ({
            name: h.name,
            host: "127.0.0.1",
            port: h.port + PROXY_OFFSET,
            hostKey: h.hostKey,
        }));
    }
    const inventory = join(dir, "inventory.json");
    writeFileSync(
        inventory,
        JSON.stringify({
            settings: { privateKeyPath: keyFile, sysctl: { file: `${FLEET_DROPIN}-${k}.conf`, entries: ENTRIES } },
            slices,
        }),
    );
    const trace = join(OUT, "tmp", "trace.jsonl");
    const mem = join(OUT, "tmp", "mem.txt");
    rmSync(trace, { force: true });
    rmSync(mem, { force: true });
    const env = {
        ...process.env,
        PATH: `${cliDir}:${process.env.PATH}`,
        PULUMI_HOME: join(dir, "home"),
        PULUMI_CONFIG_PASSPHRASE: "kh-bench",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        NO_COLOR: "1",
        KH_TRACE_FILE: trace,
        KH_BENCH_MEM_FILE: mem,
        // The untimed setup creates every host's resource: one checkpoint at the end, not one per step.
        ...(phase === "setup" ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
    };
    const driver = join(ROOT, "examples", "fleet", "driver.ts");
    const args = [
        driver,
        "up",
        "--inventory",
        inventory,
        "--state",
        join(dir, "state"),
        "--stacks",
        String(k),
        "--plugin-dir",
        join(BENCH, "plugin"),
        "--json",
        ...(mode === "precompiled" ? ["--precompile"] : mode === "inline" ? ["--inline"] : []),
    ];
    const r = await run(
        join(ROOT, "node_modules", ".bin", "tsx"),
        args,
        env,
        logPath(`ours-fleet-${phase}-k${k}-n${n}${mode === "inline" ? "-inline" : ""}`),
        ROOT,
    );
    let summary: { ok: boolean; changes: Record<string, number> } | undefined;
    try {
        summary = JSON.parse(r.out.slice(r.out.indexOf("{\n"), r.out.lastIndexOf("}") + 1));
    } catch {
        /* reported as wrong below */
    }
    const want = phase === "setup" ? { create: n + k } : { same: n + k };
    const ok = r.code === 0 && !!summary?.ok && JSON.stringify(summary.changes) === JSON.stringify(want);
    const lines = existsSync(trace)
        ? readFileSync(trace, "utf8")
              .trim()
              .split("\n")
              .filter(Boolean)
              .map((l) => JSON.parse(l) as { host: string })
        : [];
    const perHost = hosts.map((h) => lines.filter((l) => l.host === `127.0.0.1:${h.port + PROXY_OFFSET}`).length);
    const rssKb = existsSync(mem)
        ? readFileSync(mem, "utf8")
              .trim()
              .split("\n")
              .filter((l) => /^\d+ /.test(l))
              .map((l) => Number(l.split(" ")[0]))
        : [];
    return {
        ok,
        detail:
            `${k} stack(s): ${
                summary
                    ? Object.entries(summary.changes)
                          .map(([c, x]) => `${x} ${c}`)
                          .join(", ")
                    : "no summary"
            }` + (ok ? "" : "\n" + r.out.slice(-2000)),
        extra: {
            traceCmds: perHost,
            slices: k,
            providerProcs: rssKb.length,
            providerPeakMB: rssKb.length ? Math.max(...rssKb) / 1024 : undefined,
            providerTotalMB: rssKb.reduce((a, b) => a + b, 0) / 1024,
        },
    };
}

// ---------------------------------------------------------------------------------------------
// The OpenSSH floor: plain `ssh` with the same key and pinned host keys, a new connection and one
// read (the bench keys' values, a constant command) per host, every host at once. What any tool
// speaking SSH pays per phase on this machine: the handshakes' CPU on both ends and the round trips.
async function opensshFloor(hosts: Host[], keyFile: string): Promise<number> {
    const knownHosts = join(OUT, "tmp", "known_hosts");
    writeFileSync(knownHosts, hosts.map((h) => `[127.0.0.1]:${h.port + PROXY_OFFSET} ${h.hostKey}\n`).join(""));
    const opts = [
        "-F",
        "/dev/null",
        "-i",
        keyFile,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        `UserKnownHostsFile=${knownHosts}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "ControlMaster=no",
        "-o",
        "ControlPath=none",
    ];
    const t0 = performance.now();
    const results = await Promise.all(
        hosts.map(
            (h) =>
                new Promise<{ code: number; err: string }>((res) => {
                    const c = spawn(
                        "ssh",
                        [...opts, "-p", String(h.port + PROXY_OFFSET), "root@127.0.0.1", `sysctl -n ${KEYS.join(" ")}`],
                        { stdio: ["ignore", "ignore", "pipe"] },
                    );
                    let err = "";
                    c.stderr.on("data", (d) => (err += d));
                    c.on("close", (code) => res({ code: code ?? 1, err }));
                }),
        ),
    );
    const t = (performance.now() - t0) / 1000;
    const bad = results.find((x) => x.code !== 0);
    if (bad) throw new Error(`OpenSSH floor: ssh failed (${bad.code}): ${bad.err}`);
    return t;
}

// ---------------------------------------------------------------------------------------------
// The floor: the provider's own SSH code (dist/provider), no engine: every host at once, one
// connection (handshake included) and one command each, timed inside this process.
async function floor(hosts: Host[], keyFile: string, script: "observe" | "apply"): Promise<number> {
     
    const host = require(join(ROOT, "dist/provider/resources/sysctl/host.js"));
     
    const { pool } = require(join(ROOT, "dist/provider/ssh/pool.js"));
    const privateKey = readFileSync(keyFile, "utf8");
    const conn = (h: Host) => ({
        host: "127.0.0.1",
        port: h.port + PROXY_OFFSET,
        user: "root",
        privateKey,
        hostKey: h.hostKey,
        dialErrorLimit: 3,
        perDialTimeout: 30,
        insecureIgnoreHostKey: false,
    });
    const content = KEYS.map((k) => `${k} = ${ENTRIES[k]}`).join("\n") + "\n";
    const t0 = performance.now();
    await Promise.all(
        hosts.map((h) =>
            script === "observe"
                ? host.observeSysctl(conn(h), DROPIN, KEYS)
                : host.applySysctl(conn(h), {
                      file: DROPIN,
                      content,
                      sets: KEYS.map((k) => ({ key: k, value: ENTRIES[k] })),
                      keys: KEYS,
                  }),
        ),
    );
    const t = (performance.now() - t0) / 1000;
    pool.closeAll();
    return t;
}

// ---------------------------------------------------------------------------------------------
interface Sample {
    tool: string;
    /** noop-up: plain `pulumi up --yes`; preview: plain `pulumi preview`; onestack/manystacks: examples/fleet. */
    scenario: "first" | "noop" | "noop-up" | "plan" | "preview" | "onestack" | "manystacks" | "onestack-inline" | "manystacks-inline";
    /** An engine knob on the no-op (--knobs), reported apart from the main table. */
    variant?: string;
    n: number;
    latency: number;
    rep: number;
    wall: number;
    ok: boolean;
    detail: string;
    sshdCmds: number[];
    sshdConns: number[];
    extra?: Record<string, unknown>;
    /** This machine's 1-minute load average when the run ended (other people's VMs share it). */
    load: number;
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const fleetHosts = JSON.parse(readFileSync(join(o.fleet, "fleet.json"), "utf8")) as Host[];
    const keyFile = join(o.fleet, "client_key");
    // Tool k's hosts start after the hosts of the tools before it (each capped by its --*-max-n).
    const cap = (t: string) =>
        Math.min(Math.max(...o.hosts), t === "ansible" ? o.ansibleMaxN : t === "pyinfra" ? o.pyinfraMaxN : Infinity);
    const offsets = o.tools.map((_, k) => o.tools.slice(0, k).reduce((a, t) => a + cap(t), 0));
    const needed = o.tools.reduce((a, t) => a + cap(t), 0);
    if (needed > fleetHosts.length)
        throw new Error(`the fleet has ${fleetHosts.length} hosts; the tools need ${needed}`);
    mkdirSync(join(OUT, "logs"), { recursive: true });
    mkdirSync(join(OUT, "tmp"), { recursive: true });
    rmSync(join(OUT, "logs"), { recursive: true, force: true });
    mkdirSync(join(OUT, "logs"), { recursive: true });
    const fleet = new Fleet(fleetHosts, keyFile);
    const cliDir = process.env.KH_PULUMI_DIR!;
    const samples: Sample[] = [];
    const floors: Array<{ n: number; latency: number; kind: string; rep: number; wall: number }> = [];
    const fixed: Array<{ what: string; wall: number }> = [];
    const profiles: Array<Record<string, number | string>> = [];
    const resultsFile = join(OUT, "results.json");
    const save = () =>
        writeFileSync(
            resultsFile,
            JSON.stringify(
                {
                    // cancelUntraced: remote-command times exclude the engine's Cancel (traced as host "-").
                    opts: { ...o, provider: process.env.KH_BENCH_PROVIDER ? "sea" : "tsc", cancelUntraced: true },
                    samples,
                    floors,
                    fixed,
                    profiles,
                    defaults: fleet.defaults,
                    entries: ENTRIES,
                },
                null,
                1,
            ),
        );
    const proxy = new Proxy();
    const cleanup = () => {
        if (current?.pid) {
            try {
                process.kill(-current.pid, "SIGTERM");
            } catch {
                /* already gone */
            }
        }
        void proxy.stop();
    };
    process.on("SIGINT", () => {
        cleanup();
        process.exit(130);
    });
    process.on("SIGTERM", () => {
        cleanup();
        process.exit(143);
    });

    // The bench program precompiled by tsc, for `typescript: false` (the default, --program js).
    const js = join(OUT, "program-js");
    const jsMain = join(js, "bench", "program");
    if (o.tools.includes("ours")) {
        rmSync(js, { recursive: true, force: true });
        sh(
            `cd ${ROOT} && npx tsc --outDir ${js} --rootDir ${ROOT} --module commonjs --target ES2020 --moduleResolution node --esModuleInterop --skipLibCheck --strict bench/program/index.ts`,
            "compiling the bench program",
        );
        // index.js requires what index.ts imports, relative to bench/program: made absolute for its new place.
        const file = join(jsMain, "index.js");
        const src = readFileSync(file, "utf8").replace(
            /require\("([^"]+)"\)/g,
            (_m, spec: string) => `require(${JSON.stringify(require.resolve(spec, { paths: [join(BENCH, "program")] }))})`,
        );
        writeFileSync(file, src);
    }
    const newOurs = () => {
        const t = new Ours(cliDir, keyFile, o.program === "js" ? jsMain : undefined, "pulumi");
        t.jsProgram = jsMain;
        return t;
    };

    // Fixed costs of ours that do not depend on hosts: CLI start, and a no-op `up` of a stack
    // with no resources (CLI + language host + program + engine + state write), the program as
    // TypeScript (ts-node) and precompiled.
    if (o.tools.includes("ours")) {
        const ours = new Ours(cliDir, keyFile, undefined, "pulumi-ts");
        for (let r = 0; r < o.reps; r++) {
            const t = performance.now();
            spawnSync("pulumi", ["version"], { env: { ...process.env, PATH: `${cliDir}:${process.env.PATH}` } });
            fixed.push({ what: "pulumi version (CLI start)", wall: (performance.now() - t) / 1000 });
        }
        await ours.prepare([]);
        const pre = new Ours(cliDir, keyFile, jsMain);
        await pre.prepare([]);
        // One timed `pulumi` run of an empty stack into the fixed costs.
        const empty = async (tool: Ours, args: string[], log: string, what: string) => {
            const t = performance.now();
            const res = await tool.pulumi(args, logPath(log));
            if (res.code !== 0) throw new Error(`${what} failed: ${res.out}`);
            fixed.push({ what, wall: (performance.now() - t) / 1000 });
        };
        const skipPreview = ["up", "--yes", "--skip-preview"];
        // Alternated, so the machine's changing load hits them alike.
        for (let r = 0; r < o.reps; r++) {
            await empty(ours, skipPreview, "ours-empty-up", "pulumi up, stack with no resources");
            await empty(pre, skipPreview, "ours-empty-up-js", "pulumi up, stack with no resources, program precompiled");
            // The engine's floor for the plain `up` target at N = 1: a preview and an update, nothing in them.
            await empty(
                pre,
                ["up", "--yes"],
                "ours-empty-plain-up-js",
                "plain pulumi up (preview, then update), stack with no resources, program precompiled",
            );
        }
    }

    // Each tool has its own hosts (tool k uses fleet hosts offsets[k] .. offsets[k]+N-1), so the tools'
    // runs can alternate within each repetition: this machine's load drifts (other people's VMs),
    // and alternating gives every tool the same share of quiet and busy minutes.
    // The headline configuration (largest N, highest latency) first, so a run cut short still has it.
    const configs = [...o.hosts]
        .sort((a, b) => b - a)
        .flatMap((n) => [...o.latency].sort((a, b) => b - a).map((latency) => ({ n, latency })));
    for (const { n, latency } of configs) {
        await proxy.start(fleetHosts, latency);
        const reps = n >= o.largeN ? Math.min(o.reps, o.repsLarge) : o.reps;
        log(`N=${n}, latency ${latency} ms each way, ${reps} repetition(s)`);
        const tools: Array<{ tool: Tool; hosts: Host[]; drifted: Host[] }> = o.tools.flatMap((t, k) => {
            if (t === "pyinfra" && n > o.pyinfraMaxN) return [];
            if (t === "ansible" && n > o.ansibleMaxN) return [];
            const hosts = fleetHosts.slice(offsets[k], offsets[k] + n);
            const tool =
                t === "ours"
                    ? newOurs()
                    : t === "ansible"
                      ? new Ansible(keyFile)
                      : t === "pyinfra"
                        ? new Pyinfra(keyFile)
                        : undefined;
            if (!tool) throw new Error(`unknown tool ${t}`);
            return [{ tool, hosts, drifted: hosts.slice(0, Math.max(1, Math.ceil(n / 10))) }];
        });
        for (const t of tools) await t.tool.prepare(t.hosts);
        const measure = async (
            { tool, hosts }: { tool: Tool; hosts: Host[] },
            scenario: Sample["scenario"],
            rep: number,
            fn: () => Promise<RunResult>,
            variant?: string,
        ) => {
            const marks = fleet.logMarks(hosts);
            const t0 = performance.now();
            const res = await fn();
            const wall = (performance.now() - t0) / 1000;
            const c = fleet.sshdCounts(hosts, marks);
            const { detail, extra } = res;
            const counts = { sshdCmds: c.cmds, sshdConns: c.conns };
            const load = loadavg()[0];
            samples.push({
                tool: tool.name,
                scenario,
                variant,
                n,
                latency,
                rep,
                wall,
                ok: res.ok,
                detail,
                ...counts,
                extra,
                load,
            });
            save();
            log(
                `${tool.name.padEnd(8)} N=${n} ${latency}ms ${scenario.padEnd(5)}${variant ? ` [${variant}]` : ""} #${rep + 1}: ${wall.toFixed(2)} s ${res.ok ? "ok" : "WRONG"} (${res.detail.split("\n")[0]}; ${Math.max(...c.cmds)} cmds/host)`,
            );
            if (!res.ok) log(res.detail);
            return res;
        };
        const ourHosts = tools[0].hosts;
        const oursT = tools.find((t) => t.tool.name === "ours");
        for (let r = 0; r < reps; r++) {
            // The floor, on pristine hosts (the first tool's, reset again before its run).
            fleet.reset(ourHosts);
            floors.push({ n, latency, kind: "apply", rep: r, wall: await floor(ourHosts, keyFile, "apply") });
            floors.push({ n, latency, kind: "observe", rep: r, wall: await floor(ourHosts, keyFile, "observe") });
            floors.push({ n, latency, kind: "openssh", rep: r, wall: await opensshFloor(ourHosts, keyFile) });
            for (const t of tools) {
                fleet.reset(t.hosts);
                t.tool.resetState();
                await measure(t, "first", r, () => t.tool.apply("first"));
                const bad = fleet.notApplied(t.hosts);
                if (bad.length) {
                    samples[samples.length - 1].ok = false;
                    log(
                        `${t.tool.name}: after the first apply ${bad.length} values are not in force, e.g. ${bad.slice(0, 3).join("; ")}`,
                    );
                }
            }
        }
        // Where our time goes, from the engine's own log: one extra run of each, outside the medians.
        const ours = tools.find((t) => t.tool.name === "ours")?.tool as Ours | undefined;
        for (let r = 0; r < reps; r++) {
            for (const t of tools) await measure(t, "noop", r, () => t.tool.apply("noop"));
            if (ours && oursT) await measure(oursT, "noop-up", r, () => ours.noopUp());
        }
        if (ours && oursT && o.knobs) {
            const other: Knob[] = o.program === "js" ? ["ts-program", "ts-program+preview"] : ["js-program", "js-program+preview"];
            const all: Knob[] = ["skip-checkpoints", "parallel-default", "skip-checkpoints+preview", "run-program+preview", ...other];
            all.push("max-connections-64", "heap-v8-default", "optimize-for-size");
            const knobs = o.knobList.length ? all.filter((k) => o.knobList.includes(k)) : all;
            for (let r = 0; r < reps; r++)
                for (const v of knobs)
                    await measure(oursT, v.endsWith("+preview") ? "noop-up" : "noop", r, () => ours.knob(v), v);
        }
        if (ours)
            for (const kind of ["noop", "noop-up"] as const)
                profiles.push({ n, latency, kind, ...(await ours.profile(kind)) });
        if (oursT && o.slices > 1 && n >= o.slices && n === Math.max(...o.hosts)) {
            // Both layouts created once (checked, not timed), then their no-op runs alternate: each
            // with a language host per stack (the program as --program says) and with the programs inline.
            const local = o.program === "js" ? "precompiled" : "ts";
            for (const k of [1, o.slices]) {
                const s = await fleetStacks(cliDir, oursT.hosts, keyFile, k, "setup", local);
                if (!s.ok) throw new Error(`examples/fleet setup with ${k} stack(s) failed: ${s.detail}`);
            }
            for (let r = 0; r < reps; r++) {
                await measure(oursT, "onestack", r, () => fleetStacks(cliDir, oursT.hosts, keyFile, 1, "noop", local));
                await measure(oursT, "manystacks", r, () => fleetStacks(cliDir, oursT.hosts, keyFile, o.slices, "noop", local));
                await measure(oursT, "onestack-inline", r, () => fleetStacks(cliDir, oursT.hosts, keyFile, 1, "noop", "inline"));
                await measure(oursT, "manystacks-inline", r, () =>
                    fleetStacks(cliDir, oursT.hosts, keyFile, o.slices, "noop", "inline"),
                );
            }
        }
        for (const t of tools) fleet.drift(t.drifted);
        for (let r = 0; r < reps; r++) {
            for (const t of tools) await measure(t, "plan", r, () => t.tool.plan(t.drifted.length));
            if (ours && oursT) await measure(oursT, "preview", r, () => ours.plan(oursT.drifted.length, false));
        }
        if (ours)
            for (const kind of ["plan", "preview"] as const)
                profiles.push({ n, latency, kind, ...(await ours.profile(kind)) });
        save();
        for (const t of tools) fleet.reset(t.hosts);
        await proxy.stop();
    }
    save();
    log(`raw results: ${resultsFile}`);
}

main().catch((err) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack : err}\n`);
    process.exit(1);
});
