// Turns bench/out/results.json (written by bench.ts) into the markdown table (bench/out/table.md,
// also printed), the chart (bench/out/chart.png, by chart.py in the bench venv) and, unless
// --no-results-md, bench/RESULTS.md with the date, the machine and the targets.
import { spawnSync } from "child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { cpus, loadavg, totalmem } from "os";
import { join } from "path";

const BENCH = __dirname;
// --out DIR: where results.json is read and table.md, report.md, chart.png are written.
const outArg = process.argv.indexOf("--out");
const OUT = outArg > 0 ? process.argv[outArg + 1] : join(BENCH, "out");

interface Sample {
    tool: string;
    scenario: string;
    variant?: string;
    n: number;
    latency: number;
    rep: number;
    wall: number;
    ok: boolean;
    detail: string;
    sshdCmds: number[];
    sshdConns: number[];
    load?: number;
    extra?: {
        traceCmds?: number[];
        traceOps?: Record<string, number>;
        pidsPerHost?: number[];
        cmdsByPid?: Array<{ cmds: number; hosts: number; first: number; last: number }>;
        slices?: number;
        providerTotalMB?: number;
        providerProcs?: number;
        providerPeakMB?: number;
        providerPeakSample?: { rss: number; heapUsed: number; heapTotal: number; external: number };
        timeline?: { toFirstCmd: number; cmdSpan: number; afterLastCmd: number };
    };
}
interface Results {
    opts: { hosts: number[]; latency: number[]; reps: number; tools: string[] };
    samples: Sample[];
    floors: Array<{ n: number; latency: number; kind: string; wall: number }>;
    fixed: Array<{ what: string; wall: number }>;
}

const res = JSON.parse(readFileSync(join(OUT, "results.json"), "utf8")) as Results;
// --also FILE (repeatable): other runs' results.json merged in (e.g. N = 200 with Ansible and N = 500
// without, run one after the other). Each configuration's figures stay those of its own run.
{
    type WithProfiles = Results & { profiles?: unknown[]; opts: { cancelUntraced?: boolean } };
    // Runs before the bench stopped counting the engine's Cancel as a remote command: their profiles'
    // "last remote command" is the Cancel's time, so it is not shown.
    const mark = (x: WithProfiles) =>
        (x.profiles ?? []).map((p) => ({ ...(p as object), cancelUntraced: !!x.opts.cancelUntraced }));
    const r = res as WithProfiles;
    r.profiles = mark(r);
    for (let i = 0; i < process.argv.length; i++) {
        if (process.argv[i] !== "--also") continue;
        const o = JSON.parse(readFileSync(process.argv[i + 1], "utf8")) as WithProfiles;
        r.samples.push(...o.samples);
        r.floors.push(...o.floors);
        r.fixed.push(...o.fixed);
        r.profiles.push(...mark(o));
        r.opts.hosts = [...new Set([...r.opts.hosts, ...o.opts.hosts])];
        r.opts.tools = [...new Set([...r.opts.tools, ...o.opts.tools])];
    }
}
const writeResultsMd = !process.argv.includes("--no-results-md");
const runOpts = res.opts as { program?: string; provider?: string };
const jsProgram = runOpts.program !== "ts"; // runs before --program existed used TypeScript
const PROGRAM = jsProgram ? "the program (precompiled JS)" : "the TypeScript program";
const PROGRAM_START = jsProgram ? "Node.js start, SDK load" : "Node.js start, ts-node compile, SDK load";
const PROVIDER =
    runOpts.provider === "sea"
        ? "the release plugin of `npm run dist` (one executable: the bundled provider, Node.js and a V8 code cache)"
        : "`node dist/provider/main.js` (tsc output)";

const median = (xs: number[]) => {
    if (!xs.length) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
// Which command each figure is (ours; the peers run their own apply / check mode, see the text).
const SCEN: Record<string, string> = {
    first: "first apply: `up --yes --skip-preview`",
    noop: "no-op: `up --yes --skip-preview`",
    "noop-up": "no-op: plain `up --yes` (preview, then update)",
    plan: "plan after drift on 10 %: `preview --refresh`",
    preview: "plan after drift on 10 %: plain `preview`",
    onestack: "no-op: examples/fleet driver `up`, 1 stack of N",
    manystacks: "no-op: examples/fleet driver `up`, K stacks of N/K at once",
    "onestack-inline": "no-op: examples/fleet driver `up --inline`, 1 stack of N",
    "manystacks-inline": "no-op: examples/fleet driver `up --inline`, K stacks of N/K at once",
};
const SCENARIOS = Object.keys(SCEN);
/** Engine phases that each read every host: plain up = preview + update; preview --refresh = refresh + preview. */
const PHASES: Record<string, number> = {
    first: 1,
    noop: 1,
    "noop-up": 2,
    plan: 2,
    preview: 1,
    onestack: 1,
    manystacks: 1,
    "onestack-inline": 1,
    "manystacks-inline": 1,
};
/** The peer run a row of ours is compared with: the peers have one apply and one check mode. */
const PEER_OF: Record<string, string> = { "noop-up": "noop", preview: "plan", onestack: "noop", manystacks: "noop", "onestack-inline": "noop", "manystacks-inline": "noop" };
const TOOL: Record<string, string> = { ours: "ours", ansible: "Ansible", pyinfra: "pyinfra" };

function pick(tool: string, scenario: string, n: number, latency: number, variant?: string) {
    const same = (s: Sample) => s.tool === tool && s.scenario === scenario && s.n === n && s.latency === latency;
    return res.samples.filter((s) => same(s) && s.variant === variant);
}

/** "1" when every host saw the same count in every run, else "min–max". */
function range(xs: number[]): string {
    if (!xs.length) return "–";
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    return lo === hi ? String(lo) : `${lo}–${hi}`;
}

interface Row {
    n: number;
    latency: number;
    scenario: string;
    wall: Record<string, number>;
    runs: Record<string, number>;
    wrong: Record<string, number>;
    floor: number;
    openssh: number;
    cmds: Record<string, string>;
    /** Provider processes that ran commands on a host (each opens its own connection): min–max. */
    pids: string;
    procs: string;
    conns: Record<string, string>;
    traceMax: number;
    rssMB: number;
    timeline?: { toFirstCmd: number; cmdSpan: number; afterLastCmd: number };
}

const configs = [...new Set(res.samples.map((s) => `${s.n}/${s.latency}`))]
    .map((k) => k.split("/").map(Number))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
const tools = res.opts.tools.filter((t) => res.samples.some((s) => s.tool === t));
const rows: Row[] = [];
for (const [n, latency] of configs) {
    for (const scenario of SCENARIOS) {
        const row: Row = {
            n,
            latency,
            scenario,
            wall: {},
            runs: {},
            wrong: {},
            floor: NaN,
            openssh: NaN,
            cmds: {},
            conns: {},
            pids: "–",
            procs: "–",
            traceMax: NaN,
            rssMB: NaN,
        };
        for (const t of tools) {
            const ss = pick(t, t === "ours" ? scenario : (PEER_OF[scenario] ?? scenario), n, latency);
            if (!ss.length) continue;
            row.wall[t] = median(ss.map((s) => s.wall));
            row.runs[t] = ss.length;
            row.wrong[t] = ss.filter((s) => !s.ok).length;
            row.cmds[t] = range(ss.flatMap((s) => s.sshdCmds));
            row.conns[t] = range(ss.flatMap((s) => s.sshdConns));
            if (t === "ours") {
                row.pids = range(ss.flatMap((s) => s.extra?.pidsPerHost ?? []));
                row.procs = range(ss.map((s) => s.extra?.providerProcs ?? NaN).filter(Number.isFinite));
                // Hosts only: the engine's Cancel is traced too (host "-", after the hosts) by older bench runs.
                row.traceMax = Math.max(...ss.flatMap((s) => (s.extra?.traceCmds ?? []).slice(0, s.n)));
                row.rssMB = Math.max(...ss.map((s) => s.extra?.providerPeakMB ?? NaN).filter(Number.isFinite));
                const tl = ss.map((s) => s.extra?.timeline).filter((x): x is NonNullable<typeof x> => !!x);
                if (tl.length)
                    row.timeline = {
                        toFirstCmd: median(tl.map((x) => x.toFirstCmd)),
                        cmdSpan: median(tl.map((x) => x.cmdSpan)),
                        afterLastCmd: median(tl.map((x) => x.afterLastCmd)),
                    };
            }
        }
        const kind = scenario === "first" ? "apply" : "observe";
        row.floor = median(
            res.floors.filter((f) => f.n === n && f.latency === latency && f.kind === kind).map((f) => f.wall),
        );
        row.openssh = median(
            res.floors.filter((f) => f.n === n && f.latency === latency && f.kind === "openssh").map((f) => f.wall),
        );
        if (row.wall.ours !== undefined) rows.push(row);
    }
}

// --- the table ---------------------------------------------------------------------------------
const peers = tools.filter((t) => t !== "ours");
const head = [
    "N",
    "latency (each way)",
    "scenario",
    ...tools.map((t) => `${TOOL[t]} (s)`),
    ...peers.map((p) => `${TOOL[p]} ÷ ours`),
    "ssh2 floor (s)",
    "OpenSSH floor (s)",
    "phases",
    "ours ÷ (phases × OpenSSH floor)",
    `remote commands per host (${tools.map((t) => TOOL[t]).join(" / ")})`,
    "SSH logins per host",
    "provider processes (per host)",
    "provider peak RSS (MB)",
];
const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
for (const r of rows) {
    const wrong = tools.filter((t) => r.wrong[t]).map((t) => `${TOOL[t]}: ${r.wrong[t]} of ${r.runs[t]} runs WRONG`);
    lines.push(
        "| " +
            [
                r.n,
                `${r.latency} ms`,
                SCEN[r.scenario] + (wrong.length ? ` (${wrong.join("; ")})` : ""),
                ...tools.map((t) => f2(r.wall[t])),
                ...peers.map((p) => (r.wall[p] && r.wall.ours ? `${(r.wall[p] / r.wall.ours).toFixed(1)}×` : "–")),
                f2(r.floor),
                f2(r.openssh),
                PHASES[r.scenario],
                Number.isFinite(r.openssh) ? `${(r.wall.ours / (PHASES[r.scenario] * r.openssh)).toFixed(2)}×` : "–",
                tools.map((t) => r.cmds[t] ?? "–").join(" / "),
                tools.map((t) => r.conns[t] ?? "–").join(" / "),
                `${r.procs} (${r.pids})`,
                Number.isFinite(r.rssMB) ? r.rssMB.toFixed(0) : "–",
            ].join(" | ") +
            " |",
    );
}
const table = lines.join("\n");
writeFileSync(join(OUT, "table.md"), table + "\n");
process.stdout.write(table + "\n");

// --- targets -----------------------------------------------------------------------------------
const maxN = Math.max(...rows.map((r) => r.n));
const maxLat = Math.max(...rows.map((r) => r.latency));
const at = (scenario: string, n = maxN, latency = maxLat) =>
    rows.find((r) => r.n === n && r.latency === latency && r.scenario === scenario);
const targets: string[] = [];
// Issue 18's targets: the plain no-op `pulumi up` >= 20x Ansible's no-op at N = 50 (>= 6x at N = 1),
// `preview --refresh` >= 25x Ansible's check mode, each phase within 1.5x of the OpenSSH floor; at
// N = 500 (or the largest N) a plain no-op `up` under 60 s and provider memory under 250 MB.
const minN = Math.min(...rows.map((r) => r.n));
const withAnsible = rows.filter((r) => r.wall.ansible !== undefined).map((r) => r.n);
const ratioN = withAnsible.includes(50) ? 50 : Math.max(...withAnsible);
// The N = 1 target only where N = 1 ran; the N = 50 ones at 50, else at the largest N with Ansible.
const goals: Array<[string, string, number, number, number]> = [];
if (minN === 1) goals.push(["noop-up", "plain no-op `pulumi up --yes`", 1, 6, 1]);
if (ratioN > 1) {
    goals.push(["noop-up", "plain no-op `pulumi up --yes`", ratioN, 20, 50]);
    goals.push(["plan", "`pulumi preview --refresh`", ratioN, 25, 50]);
}
for (const [scenario, what, n, goal, setFor] of goals) {
    const r = at(scenario, n);
    if (!r || !r.wall.ours || !r.wall.ansible) continue;
    const x = r.wall.ansible / r.wall.ours;
    targets.push(
        `- ${what} at N = ${n}, ${maxLat} ms: ${f2(r.wall.ours)} s against Ansible's ${f2(r.wall.ansible)} s (${PEER_OF[scenario] === "noop" ? "its no-op run" : "its check mode"}), **${x.toFixed(1)}× faster**: ` +
            (x >= goal
                ? `target (≥ ${goal}×, set for N = ${setFor}) **met**.`
                : `target (≥ ${goal}×, set for N = ${setFor}) **missed** by ${(goal / x).toFixed(2)}× (ours would have to take ${f2(r.wall.ansible / goal)} s).`),
    );
}
for (const n of [...new Set(rows.map((r) => r.n))].sort((x, y) => x - y)) {
    for (const scenario of ["noop-up", "plan"]) {
        const r = at(scenario, n);
        if (!r || !Number.isFinite(r.openssh) || n === 1) continue;
        const x = r.wall.ours / (PHASES[scenario] * r.openssh);
        targets.push(
            `- ${SCEN[scenario]} at N = ${n}, ${maxLat} ms: ${f2(r.wall.ours)} s for ${PHASES[scenario]} phases against an OpenSSH floor of ${f2(r.openssh)} s per phase: ${x.toFixed(2)}× the floor per phase (target ≤ 1.5×, set for N = 50: **${x <= 1.5 ? "met" : "missed"}**).`,
        );
    }
}
{
    const r = at("noop-up", maxN);
    if (r?.wall.ours !== undefined)
        targets.push(
            `- plain no-op \`pulumi up --yes\` at N = ${maxN}, ${maxLat} ms: ${f2(r.wall.ours)} s: target (< 60 s at N = 500 or the largest N) **${r.wall.ours < 60 ? "met" : `missed** by ${f2(r.wall.ours - 60)} s (${(r.wall.ours / 60).toFixed(2)}×)`}${r.wall.ours < 60 ? "**" : ""}.`,
        );
}
{
    const perPhase = rows
        .filter((r) => Number.isFinite(r.traceMax))
        .map((r) => ({ r, v: r.traceMax / PHASES[r.scenario] }));
    const worst = perPhase.sort((a, b) => b.v - a.v)[0];
    if (worst) {
        const counted = (s: string) => rows.some((r) => r.scenario === s && Number.isFinite(r.traceMax));
        const desc = SCENARIOS.filter(counted).map((s) => {
            const rr = rows.filter((r) => r.scenario === s && Number.isFinite(r.traceMax));
            return `${SCEN[s]}: ${Math.max(...rr.map((r) => r.traceMax))} command(s) per host in ${PHASES[s]} phase(s)`;
        });
        targets.push(
            `- Remote commands (counted from KH_TRACE_FILE and by sshd) per host per phase: at most ${worst.v} (${desc.join("; ")}): ` +
                (worst.v <= 1
                    ? "target (one remote command per host per phase) **met**."
                    : `target (one remote command per host per phase) **missed** (${worst.v}).`),
        );
    }
}
{
    const rr = rows.filter((r) => r.n === maxN && Number.isFinite(r.rssMB));
    if (rr.length) {
        const peak = Math.max(...rr.map((r) => r.rssMB));
        const minN = Math.min(...rows.map((r) => r.n));
        const low = Math.max(...rows.filter((r) => r.n === minN && Number.isFinite(r.rssMB)).map((r) => r.rssMB));
        // What an idle provider process holds before it serves anything: Node.js itself, gRPC and
        // the generated protocol, ssh2 and zod, then our code; and what the first Construct adds
        // (@pulumi/pulumi's runtime, loaded only then).
        const probe = spawnSync(
            process.execPath,
            [
                "-e",
                "const m=()=>process.memoryUsage().rss/1048576;const a=m();require('@grpc/grpc-js');require('@pulumi/pulumi/proto/provider_grpc_pb');require('zod');require('ssh2');const b=m();require('./dist/provider/definition').definition();const c=m();require('@pulumi/pulumi');const d=m();console.log(JSON.stringify({node:a,base:b-a,ours:c-b,total:c,sdk:d-c}))",
            ],
            { cwd: join(BENCH, ".."), encoding: "utf8" },
        );
        let breakdown = "";
        try {
            const b = JSON.parse(probe.stdout) as Record<string, number>;
            breakdown =
                ` An idle provider process holds ${b.total.toFixed(0)} MB after loading its modules (Node.js ${b.node.toFixed(0)} MB, gRPC + protocol + ssh2 + zod ${b.base.toFixed(0)} MB, our code ${b.ours.toFixed(0)} MB); ` +
                `the \`@pulumi/pulumi\` runtime (${b.sdk.toFixed(0)} MB more) is loaded only by the first Construct of the KernelHardening component, which a Sysctl stack never calls.`;
        } catch {
            /* the probe is informative only */
        }
        // The sampled peak of the run with the highest RSS at N = maxN: how much of it is V8's heap.
        const sampled = res.samples
            .filter((s) => s.tool === "ours" && s.n === maxN)
            .map((s) => s.extra?.providerPeakSample)
            .filter((x): x is NonNullable<typeof x> => !!x)
            .sort((a, b) => b.rss - a.rss)[0];
        if (sampled)
            breakdown += ` At its sampled peak (${sampled.rss.toFixed(0)} MB RSS) the largest provider process had ${sampled.heapTotal.toFixed(0)} MB of V8 heap reserved (${sampled.heapUsed.toFixed(0)} MB in use) and ${sampled.external.toFixed(0)} MB outside it (Buffers, ssh2).`;
        targets.push(
            `- Provider peak memory (VmHWM, GNU time's max RSS, per provider process) at N = ${maxN}: ${peak.toFixed(0)} MB${minN < maxN ? ` (N = ${minN}: ${low.toFixed(0)} MB, so about ${((peak - low) / (maxN - minN)).toFixed(1)} MB per host)` : ""}: ` +
                (peak < 250
                    ? "target (< 250 MB at N = 500) **met**."
                    : `target (< 250 MB at N = 500) **missed** by ${(peak - 250).toFixed(0)} MB.`) +
                breakdown,
        );
    }
}

// --- where our time goes ------------------------------------------------------------------------
const fixedOf = (what: string) => median(res.fixed.filter((f) => f.what === what).map((f) => f.wall));
const cliStart = fixedOf("pulumi version (CLI start)");
const emptyUp = fixedOf("pulumi up, stack with no resources");
const profile: string[] = [];
const emptyJs = fixedOf("pulumi up, stack with no resources, program precompiled");
const emptyPlainJs = fixedOf("plain pulumi up (preview, then update), stack with no resources, program precompiled");
profile.push(
    `Fixed costs, no host involved (median of ${res.opts.reps}): \`pulumi version\` (CLI start) ${f2(cliStart)} s; \`pulumi up\` of a stack with no resources (CLI, Node.js language host, the TypeScript program compiled by ts-node, engine, state write; no provider process) ${f2(emptyUp)} s` +
        (Number.isFinite(emptyJs)
            ? `; the same with the program precompiled by tsc (\`runtime.options.typescript: false\`, \`main\` = the JS output) ${f2(emptyJs)} s`
            : "") +
        (Number.isFinite(emptyPlainJs)
            ? `; a plain \`pulumi up\` (preview, then update) of that precompiled empty stack ${f2(emptyPlainJs)} s: the engine's floor for any provider's plain no-op \`up\`, before a host is read.`
            : "."),
);
profile.push("");
profile.push(
    "One extra run per configuration with the engine's own log (`-v=9 --logflow`, not in the medians), times in seconds from the command's start:",
);
profile.push("");
profile.push(
    "| N | latency | run | engine starts | provider processes (first launch, last launch) | checkpoint writes | first remote command | last remote command | refresh done | program starts | first resource registered | program exits | engine done | command exits |",
);
profile.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
const profilesRun = (res as unknown as { profiles?: Array<Record<string, number | string>> }).profiles ?? [];
// When the refresh ended (its last step retired), from the profiled runs' engine logs in out/logs:
// the k-th log of a (kind, N) belongs to the k-th profile of that (kind, N), both in run order.
{
    const logDir = join(OUT, "logs");
    const files = existsSync(logDir)
        ? readdirSync(logDir)
              .filter((f) => /-ours-profile-(noop|noop-up|plan|preview)-n\d+\.log$/.test(f))
              .sort()
        : [];
    const seen = new Map<string, number>();
    for (const p of profilesRun) {
        const key = `${p.kind}-n${p.n}`;
        const k = seen.get(key) ?? 0;
        seen.set(key, k + 1);
        const f = files.filter((x) => x.endsWith(`-ours-profile-${key}.log`))[k];
        if (!f) continue;
        let start = NaN;
        let done = NaN;
        for (const line of readFileSync(join(logDir, f), "utf8").split("\n")) {
            if (!line.startsWith('{"time"')) continue;
            const m = /^\{"time":"([^"]+)","level":"[A-Z]+","msg":"(.{0,200})/.exec(line);
            if (!m) continue;
            if (Number.isNaN(start) && m[2].startsWith("*** Starting Update")) start = Date.parse(m[1]);
            if (/step refresh on \S+ retired/.test(m[2])) done = Date.parse(m[1]);
        }
        p.refreshDone = Number(p.engineStart) + (done - start) / 1000;
    }
}
const profiles = profilesRun.slice().sort((a, b) => Number(a.n) - Number(b.n) || Number(a.latency) - Number(b.latency));
for (const p of profiles) {
    const g = (k: string) => f2(Number(p[k]));
    const kinds: Record<string, string> = {
        noop: "up --skip-preview",
        "noop-up": "plain up",
        plan: "preview --refresh",
        preview: "plain preview",
    };
    profile.push(
        `| ${p.n} | ${p.latency} ms | ${kinds[String(p.kind)]} | ${g("engineStart")} | ${p.providerLaunches} (${g("firstProviderLaunch")}, ${g("lastProviderLaunch")}) | ${p.checkpointWrites ?? "–"} | ${g("firstCmd")} | ${p.cancelUntraced ? g("lastCmd") : "–"} | ${g("refreshDone")} | ${g("programRun")} | ${g("firstRegister")} | ${g("programExited")} | ${g("engineDone")} | ${g("end")} |`,
    );
}
for (const kind of ["noop", "plan"]) {
    const p = profiles.find((x) => x.n === maxN && x.latency === maxLat && x.kind === kind);
    if (!p) continue;
    const v = (k: string) => Number(p[k]);
    profile.push("");
    profile.push(
        `${kind === "noop" ? "No-op `pulumi up`" : "`pulumi preview --refresh`"} at N = ${maxN}, ${maxLat} ms (${f2(v("end"))} s in the profiled run), in order: ` +
            `CLI start to engine start ${f2(v("engineStart"))} s; ` +
            `the first provider process (launched at ${f2(v("firstProviderLaunch"))} s) sends its first read at ${f2(v("firstCmd"))} s (Node.js start, gRPC, SSH handshakes) and its last at ${f2(v("lastCmd"))} s; the refresh (all reads answered) is done at ${f2(v("refreshDone"))} s; ` +
            `${PROGRAM} starts at ${f2(v("programRun"))} s, after the refresh, and registers its first resource at ${f2(v("firstRegister"))} s (${PROGRAM_START}); ` +
            (Number(p.providerLaunches) > 1
                ? `the engine then launches a second provider process at ${f2(v("lastProviderLaunch"))} s for the program's resources (the refresh used another), and only once it is up are the resources checked and diffed; `
                : "") +
            `the program exits at ${f2(v("programExited"))} s, the engine is done at ${f2(v("engineDone"))} s and the command exits at ${f2(v("end"))} s.`,
    );
}
profile.push("");
profile.push(
    "The engine runs the refresh reads (the provider asks for a refresh before update) before it starts the program, and the program before it can diff, so these parts add up instead of overlapping.",
);
for (const kind of ["noop", "plan"]) {
    const p = profiles.find((x) => x.n === maxN && x.latency === maxLat && x.kind === kind);
    const r = at(kind);
    if (!p || !r) continue;
    const v = (k: string) => Number(p[k]);
    const refresh = v("refreshDone") - v("engineStart");
    profile.push(
        `${kind === "noop" ? "No-op up" : "Preview"} at N = ${maxN}, ${maxLat} ms: the refresh (provider start, ${maxN} SSH handshakes, ${maxN} reads) takes ${f2(refresh)} s, against an SSH floor of ${f2(r.floor)} s for the handshakes and reads alone; ` +
            `the other ${f2(v("end") - refresh)} s are the CLI, ${PROGRAM}, the second provider process and the engine (a stack with no resources alone takes ${f2(jsProgram && Number.isFinite(emptyJs) ? emptyJs : emptyUp)} s).`,
    );
}
{
    const f0 = median(
        res.floors
            .filter((f) => f.n === Math.min(...rows.map((r) => r.n)) && f.latency === 0 && f.kind === "observe")
            .map((f) => f.wall),
    );
    const f25 = median(
        res.floors
            .filter((f) => f.n === Math.min(...rows.map((r) => r.n)) && f.latency === maxLat && f.kind === "observe")
            .map((f) => f.wall),
    );
    const r = at("noop");
    if (Number.isFinite(f0) && Number.isFinite(f25) && r) {
        profile.push(
            `The network's share of the floor: one new SSH connection and one command cost ${f2(f25 - f0)} s more at ${maxLat} ms than at 0 ms (SSH floor at the smallest N: ${f2(f0)} s → ${f2(f25)} s), about ${((f25 - f0) / ((2 * maxLat) / 1000)).toFixed(0)} round trips of ${2 * maxLat} ms; ` +
                `the rest of the floor at N = ${maxN} (${f2(r.floor)} s) is CPU on this 2-core machine: ${maxN} key exchanges and remote read scripts at once. ` +
                `Ours stays ${f2(r.wall.ours - r.floor)} s above that floor for a no-op at N = ${maxN}, ${maxLat} ms: the CLI, engine, ${PROGRAM} and two provider starts described above (N = 1 at 0 ms: ${f2((at("noop", Math.min(...rows.map((x) => x.n)), 0)?.wall.ours ?? NaN) - f0)} s above its floor).`,
        );
        profile.push("");
    }
}

// --- the engine's knobs, and where the handshakes go ---------------------------------------------
// A knob's name (bench.ts's Knob, "+preview" for its plain-`up` form) starts with one of these.
const KNOB_LABELS: [string, string][] = [
    ["skip-checkpoints", "PULUMI_SKIP_CHECKPOINTS=true"],
    ["ts-program", "the program as TypeScript (ts-node) instead of precompiled"],
    ["js-program", "the program precompiled (`typescript: false`) instead of TypeScript"],
    ["run-program", "`--refresh --run-program`: the refresh runs with the program, not in a pass before it"],
    ["parallel-default", "--parallel default (8) instead of 2N"],
    ["max-connections-64", "KH_SSH_MAX_CONNECTIONS=64 (default 256)"],
    ["heap-v8-default", "KH_HEAP_GROWING_PERCENT=0 (V8's own heap growth, up to 4x; the default is 1.5x)"],
    ["optimize-for-size", "KH_OPTIMIZE_FOR_SIZE=1 (V8's --optimize-for-size)"],
];
const knobRows: string[] = [];
{
    const variants = [...new Set(res.samples.filter((s) => s.variant).map((s) => `${s.scenario}|${s.variant}`))];
    if (variants.length) {
        knobRows.push(
            "| N | latency | run | knob | ours (s) | without the knob (s) | change | provider processes | provider peak RSS (MB; without the knob) | checkpoint writes (profile, without knob) |",
        );
        knobRows.push("|---|---|---|---|---|---|---|---|---|---|");
        for (const [n, latency] of configs) {
            for (const v of variants) {
                const [scenario, variant] = v.split("|");
                const ss = pick("ours", scenario, n, latency, variant);
                const base = pick("ours", scenario, n, latency);
                if (!ss.length || !base.length) continue;
                const a = median(ss.map((x) => x.wall));
                const b = median(base.map((x) => x.wall));
                const ck =
                    profilesRun.find((p) => p.n === n && p.latency === latency && p.kind === scenario)
                        ?.checkpointWrites ?? "–";
                const wrong = ss.filter((x) => !x.ok).length;
                const knob = KNOB_LABELS.find(([prefix]) => variant.startsWith(prefix))?.[1] ?? variant;
                const peak = (xs: typeof ss) =>
                    median(xs.map((x) => x.extra?.providerPeakMB ?? NaN).filter(Number.isFinite));
                knobRows.push(
                    `| ${n} | ${latency} ms | ${SCEN[scenario]} | ${knob}${wrong ? ` (${wrong} WRONG)` : ""} | ${f2(a)} | ${f2(b)} | ${((a / b - 1) * 100).toFixed(0)} % | ${range(ss.map((x) => x.extra?.providerProcs ?? NaN).filter(Number.isFinite))} | ${peak(ss).toFixed(0)} (${peak(base).toFixed(0)}) | ${ck} |`,
                );
            }
        }
    }
}
const pidRows: string[] = [];
for (const r of rows) {
    const ss = pick("ours", r.scenario, r.n, r.latency);
    const byPid = ss[0]?.extra?.cmdsByPid;
    if (!byPid) continue;
    pidRows.push(
        `| ${r.n} | ${r.latency} ms | ${SCEN[r.scenario]} | ${r.procs} | ${byPid.map((p) => `${p.cmds} on ${p.hosts} host(s) at ${f2(p.first)}–${f2(p.last)} s`).join("; ") || "none"} | ${r.pids} | ${r.conns.ours ?? "–"} |`,
    );
}

// --- machine and versions ----------------------------------------------------------------------
const cmd = (c: string, a: string[]) => {
    const r = spawnSync(c, a, { encoding: "utf8" });
    return ((r.stdout || "") + (r.stderr || "")).trim();
};
const memGiB = (totalmem() / 2 ** 30).toFixed(1);
const machine = `${cpus().length} cores (nproc ${cmd("nproc", [])}), ${memGiB} GiB memory, kernel ${cmd("uname", ["-r"])}, ${cmd("sh", ["-c", ". /etc/os-release; echo $PRETTY_NAME"])}`;
const loads = res.samples.map((s) => s.load).filter((x): x is number => typeof x === "number");
const versions = [
    `Pulumi CLI ${cmd(join(process.env.KH_PULUMI_DIR ?? "", "pulumi"), ["version"]) || "?"}`,
    `Node.js ${process.version}`,
    cmd("ansible", ["--version"]).split("\n")[0],
    `ansible.posix ${cmd("sh", ["-c", "ansible-galaxy collection list ansible.posix 2>/dev/null | awk '$1==\"ansible.posix\"{print $2}' | head -1"])} (shipped by Debian's ansible package)`,
    `pyinfra ${cmd(join(BENCH, ".venv/bin/pyinfra"), ["--version"]).replace(/^pyinfra: v?/, "")} (PyPI, bench/.venv)`,
    cmd("sh", ["-c", "ssh -V 2>&1"]),
].join("; ");

// --- chart -------------------------------------------------------------------------------------
const mergedFile = join(OUT, "results-merged.json");
writeFileSync(mergedFile, JSON.stringify(res));
const chart = spawnSync(
    join(BENCH, ".venv/bin/python"),
    [join(BENCH, "chart.py"), mergedFile, join(OUT, "chart.png")],
    { encoding: "utf8" },
);
if (chart.status !== 0) process.stderr.write(`chart: ${chart.stderr}\n`);
else process.stderr.write(`chart: ${join(OUT, "chart.png")}\n`);

const md = [
    "# Fleet benchmark results",
    "",
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`${process.env.KH_BENCH_COMMAND ?? "bench/run.sh"}\`.`,
    "",
    `Machine: ${machine}. The 1-minute load average during the runs (the fleet's own sshd logins and scripts included) was ${loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : "?"} (now ${loadavg()[0].toFixed(1)}).`,
    "",
    `Versions: ${versions}.`,
    "",
    "Setup: each host is a real sshd with its own host key in its own network namespace and mount namespace (own /etc/sysctl.d, /run/lock, /var/lib/kernelhardening, /root, /tmp), reached through socat and our delay proxy on 127.0.0.1; 30 net.* keys per host, each changed from its default. Each tool has its own hosts, and the tools' runs alternate within each repetition so the machine's varying load hits all of them alike. Times are wall-clock medians of " +
        `${res.opts.reps} run(s) of the whole command (ours: the command named in each row, local file backend, --parallel 2N, ${PROGRAM} of bench/program, the provider as ${PROVIDER}; Ansible: \`ansible-playbook\` with ansible.posix.sysctl, pipelining, ControlPersist, forks = N, no fact gathering, \`--check --diff\` for the plan; pyinfra: \`pyinfra -y\`, \`--dry --diff\` for the plan, --parallel N). ` +
        "Every tool starts each run without open SSH connections (a new `pulumi` process has none; Ansible gets a fresh ControlPath directory per run). Every run is checked: after a first apply all 30 values are live and persisted on every host; a no-op changes nothing; the plan reports exactly the drifted hosts.",
    "",
    ...(!tools.includes("pyinfra")
        ? [`pyinfra was not part of this run (\`--tools ${res.opts.tools.join(",")}\`).`, ""]
        : (res.opts as { pyinfraMaxN?: number | null }).pyinfraMaxN != null &&
            (res.opts as { pyinfraMaxN?: number }).pyinfraMaxN! < Math.max(...res.opts.hosts)
          ? [
                `pyinfra ran only up to N = ${(res.opts as { pyinfraMaxN?: number }).pyinfraMaxN} (\`--pyinfra-max-n\`): its runs at N = 50 would have added about 40 minutes on this shared machine.`,
                "",
            ]
          : []),
    "Remote commands per host are counted by each host's sshd (LogLevel VERBOSE, one `Starting session` line per command), the same way for every tool; ours also agree with KH_TRACE_FILE. Each command costs at least one network round trip, on top of the SSH connection's own handshake round trips (SSH logins per host). The SSH floor is the provider's own SSH code (same ssh2 client, same remote scripts) run without Pulumi: all hosts at once, one new connection and one command each (the apply script for a first apply, the read script otherwise).",
    "",
    table,
    "",
    "## Targets",
    "",
    ...targets,
    "",
    "## Where our time goes",
    "",
    ...profile,
    "",
    ...(pidRows.length
        ? [
              "### Provider processes and SSH handshakes per command",
              "",
              "From KH_TRACE_FILE (the pid of the provider process that ran each remote command) and the hosts' sshd logs (logins). A provider process opens one SSH connection per host it talks to, so provider processes per host = SSH handshakes per host. First run of each row.",
              "",
              "| N | latency | run | provider processes started (all) | remote commands per provider process that ran any, in start order | provider processes per host | sshd logins per host |",
              "|---|---|---|---|---|---|---|",
              ...pidRows,
              "",
          ]
        : []),
    ...(knobRows.length ? ["### The engine's knobs", "", ...knobRows, ""] : []),
    "Charts: bench/out/chart.png (per configuration) and bench/out/chart-vs-n.png (time against N per scenario, with the OpenSSH floor); not committed. Raw runs: bench/out/results.json; every command's output: bench/out/logs/.",
    "",
];
if (writeResultsMd) {
    writeFileSync(join(BENCH, "RESULTS.md"), md.join("\n"));
    process.stderr.write(`wrote ${join(BENCH, "RESULTS.md")}\n`);
}
writeFileSync(join(OUT, "report.md"), md.join("\n"));
