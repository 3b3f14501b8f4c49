// The connection-cut campaign: for each resource type and each operation (create, update, delete),
// the SSH session between the provider and the VM is cut at evenly spread points. After each cut the
// host is checked (every managed file is its old or its new version, never partial; no temporary file
// is left) and the same command run again must converge unaided to exactly what an uncut run leaves:
// the same files, the same live state, and nothing left to change.
import { connectionFor, restore, sh, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { Chunk, Cut, CutProxy } from "../harness/cutproxy";
import { PROGRAM_DIR, ResourceSpec } from "../e2e/shared";

export type Operation = "create" | "update" | "delete";

/** A resource type under test: two desired states and where its effects show on the host. */
export interface Subject {
    name: string;
    a: ResourceSpec[];
    b: ResourceSpec[];
    /** Files the resource manages (contents compared before and after each cut). */
    files: string[];
    /** A shell command printing the live state the resource controls. */
    live: string;
}

const SYSCTL_KEYS = ["kernel.kptr_restrict", "kernel.yama.ptrace_scope", "vm.swappiness", "kernel.dmesg_restrict"];

export const SUBJECTS: Record<string, Subject> = {
    sysctl: {
        name: "Sysctl",
        a: [
            {
                type: "Sysctl",
                name: "cut",
                args: {
                    file: "70-cut.conf",
                    entries: { "kernel.kptr_restrict": "2", "kernel.yama.ptrace_scope": "1", "vm.swappiness": "10" },
                },
            },
        ],
        // Drops ptrace_scope (restored to its value from before) and adds dmesg_restrict.
        b: [
            {
                type: "Sysctl",
                name: "cut",
                args: {
                    file: "70-cut.conf",
                    entries: { "kernel.kptr_restrict": "1", "vm.swappiness": "20", "kernel.dmesg_restrict": "0" },
                },
            },
        ],
        files: ["/etc/sysctl.d/70-cut.conf", "/var/lib/kernelhardening/sysctl/70-cut.conf.previous"],
        live: `sysctl -n ${SYSCTL_KEYS.join(" ")}`,
    },
    lockdown: {
        name: "Lockdown",
        a: [{ type: "Lockdown", name: "cut", args: { mode: "integrity" } }],
        b: [{ type: "Lockdown", name: "cut", args: { mode: "confidentiality" } }],
        files: [
            "/etc/default/grub.d/90-kernelhardening-lockdown.cfg",
            "/boot/grub/grub.cfg",
            "/etc/kernel/cmdline",
            "/etc/systemd/system/kernelhardening-lockdown.service",
        ],
        live: "cat /sys/kernel/security/lockdown",
    },
    kernelpin: {
        name: "KernelPackagePin",
        a: [{ type: "KernelPackagePin", name: "cut", args: { packages: ["linux-image-cloud-amd64"] } }],
        b: [{ type: "KernelPackagePin", name: "cut", args: { packages: ["linux-image-cloud-amd64", "kmod"] } }],
        files: [
            "/etc/apt/preferences.d/kernelhardening-kernel-pin.pref",
            "/var/lib/kernelhardening/kernelpin/held-by-us",
        ],
        live: "apt-mark showhold",
    },
    modules: {
        name: "ModuleBlocklist",
        a: [{ type: "ModuleBlocklist", name: "cut", args: { file: "70-cut.conf", modules: ["dccp", "sctp"] } }],
        b: [{ type: "ModuleBlocklist", name: "cut", args: { file: "70-cut.conf", modules: ["sctp", "rds", "tipc"] } }],
        files: ["/etc/modprobe.d/70-cut.conf"],
        live: "for m in dccp sctp rds tipc; do modprobe -n -v $m 2>&1 | tail -n1; done",
    },
};

export interface CutResult {
    subject: string;
    op: Operation;
    /** Where the cut was, as the report prints it. */
    cutAt: string;
    sessionBytes: number;
    /** Whether the cut run itself failed (a cut after the last byte the provider needed lets it succeed). */
    cutRunFailed: boolean;
    fileState: "old" | "new" | "partial";
    tempFiles: number;
    converged: boolean;
    detail?: string;
}

interface HostView {
    files: Array<string | null>;
    live: string;
}

const TEMPS = "find /etc /boot /var/lib/kernelhardening -name '.*.kh-*' 2>/dev/null | wc -l";

async function view(vm: VmState, s: Subject): Promise<HostView> {
    // One command: each file base64'd (or "-" when absent), then the live state.
    const script =
        s.files.map((f) => `if [ -e '${f}' ]; then base64 -w0 '${f}'; else printf -- -; fi; echo`).join("; ") +
        `; ${s.live}`;
    const out = await sh(vm, script);
    const lines = out.split("\n");
    const files = s.files.map((_f, i) => (lines[i] === "-" ? null : Buffer.from(lines[i], "base64").toString("utf8")));
    return { files, live: lines.slice(s.files.length).join("\n") };
}

const spec = (r: ResourceSpec[]) => JSON.stringify(r);

/**
 * Waits until no apply runs on the host. A cut ends Pulumi's side at once, but an apply that had started
 * goes on to its end on the host (it is written to end whole): what it leaves is judged once it is done,
 * not while its journal or a temporary file is half way (a CI run looked too early and saw both).
 */
async function drain(vm: VmState): Promise<number> {
    const start = Date.now();
    const deadline = start + 240_000;
    // The apply scripts' text (in their command line) names begin_apply; [b] keeps pgrep from matching itself.
    while ((await sh(vm, "pgrep -f '[b]egin_apply' >/dev/null && echo busy || true")).trim() === "busy") {
        if (Date.now() > deadline) throw new Error("an apply was still running on the host 240 s after the cut");
        await new Promise((r) => setTimeout(r, 250));
    }
    return Date.now() - start;
}

/** Brings a fresh stack to the state before `op`; returns it and the host before `op`. */
async function prepare(vm: VmState, proxy: CutProxy, s: Subject, op: Operation) {
    const st = new Stack(PROGRAM_DIR);
    await st.init({
        connection: {
            value: JSON.stringify({ ...connectionFor(vm), port: proxy.port, dialErrorLimit: 1, perDialTimeout: 10 }),
            secret: true,
        },
        resources: { value: spec(s.a) },
    });
    proxy.measure();
    if (op !== "create") await st.ok(["up", "--yes", "--skip-preview", "--stack", st.name]);
    const before = await view(vm, s);
    if (op === "update") await st.setConfig("resources", spec(s.b));
    return { st, before };
}

function describeCut(c: Cut): string {
    return c.after === "server" ? `after server byte ${c.bytes}` : `${c.delayMs} ms after client byte ${c.bytes}`;
}

function runOp(st: Stack, op: Operation) {
    return op === "delete" ? st.destroy() : st.up();
}

/** Server-to-client bytes and chunk ends of one uncut run of `op`, and the host it leaves. */
async function measureSession(
    vm: VmState,
    proxy: CutProxy,
    s: Subject,
    op: Operation,
): Promise<{ bytes: number; chunks: Chunk[]; after: HostView }> {
    await restore(vm);
    const { st } = await prepare(vm, proxy, s, op);
    try {
        proxy.measure();
        const r = await runOp(st, op);
        if (r.code !== 0) throw new Error(`uncut ${s.name} ${op} failed:\n${r.output}`);
        return { bytes: proxy.bytes, chunks: [...proxy.chunks], after: await view(vm, s) };
    } finally {
        st.cleanup();
    }
}

async function cutOnce(
    vm: VmState,
    proxy: CutProxy,
    s: Subject,
    op: Operation,
    cutAt: Cut,
    sessionBytes: number,
    expected: HostView,
): Promise<CutResult> {
    await restore(vm);
    const { st, before } = await prepare(vm, proxy, s, op);
    try {
        proxy.armCut(cutAt);
        const cut = await runOp(st, op);
        proxy.measure();
        const drained = await drain(vm);
        if (drained > 1000) process.stderr.write(`[cuts] ${s.name} ${op}, ${describeCut(cutAt)}: the apply ran on for ${drained} ms after the cut\n`);
        const host = await view(vm, s);
        const each = host.files.map((f, i) =>
            f === before.files[i] ? "old" : f === expected.files[i] ? "new" : "partial",
        );
        const fileState = each.includes("partial") ? "partial" : each.every((e) => e === "old") ? "old" : "new";
        const tempFiles = Number((await sh(vm, TEMPS)).trim());
        // Converge without help: the same command again, then nothing left to do.
        const again = await runOp(st, op);
        let converged = again.code === 0;
        let detail = converged ? undefined : again.output.slice(-600);
        if (converged) {
            const pre = op === "delete" ? { code: 0 } : await st.preview(["--expect-no-changes"]);
            const now = await view(vm, s);
            const sameFiles = now.files.every((f, i) => f === expected.files[i]);
            converged = pre.code === 0 && sameFiles && now.live === expected.live;
            if (!converged)
                detail = `preview ${pre.code}; files ${sameFiles ? "as uncut" : "differ from uncut"}; live ${JSON.stringify(now.live)} vs ${JSON.stringify(expected.live)}`;
        }
        return {
            subject: s.name,
            op,
            cutAt: describeCut(cutAt),
            sessionBytes,
            cutRunFailed: cut.code !== 0,
            fileState,
            tempFiles,
            converged,
            detail,
        };
    } finally {
        st.cleanup();
    }
}

/**
 * Where to cut. `spread` cuts right after server chunks spread over the session (chunks, not bytes:
 * the handshakes' large messages would take them all), so the provider has just received one step's
 * answer and the next never comes. `gaps` cuts go where the server was busiest on what the client had
 * just sent: a while after that request, while the remote command runs (the apply itself,
 * update-grub, apt-mark), so the command finishes on the host and its answer never reaches Pulumi.
 * "all" cuts after every server chunk.
 */
export function cutPoints(chunks: Chunk[], spread: number | "all", gaps = 0): Cut[] {
    const server = chunks.filter((c) => c.from === "server");
    if (spread === "all") return server.map((c) => ({ after: "server", bytes: c.end }));
    const cuts: Cut[] = [];
    for (let i = 1; i <= spread; i++)
        cuts.push({ after: "server", bytes: server[Math.floor((i * server.length) / (spread + 1))].end });
    // Busy: from the client's last chunk to the server's next, when the client spoke last.
    const busy: Array<{ clientEnd: number; ms: number }> = [];
    let lastServer = -Infinity;
    let lastClient: Chunk | undefined;
    for (const c of chunks) {
        if (c.from === "client") lastClient = c;
        else {
            if (lastClient && lastClient.t >= lastServer)
                busy.push({ clientEnd: lastClient.end, ms: c.t - lastClient.t });
            lastServer = c.t;
        }
    }
    for (const b of busy.sort((x, y) => y.ms - x.ms).slice(0, gaps))
        cuts.push({ after: "client", bytes: b.clientEnd, delayMs: Math.max(20, Math.floor(b.ms / 2)) });
    const seen = new Set<string>();
    return cuts.filter((c) => !seen.has(JSON.stringify(c)) && !!seen.add(JSON.stringify(c)));
}

/** Cuts each subject's create, update and delete at the points cutPoints picks from an uncut run. */
export async function campaign(
    vm: VmState,
    subjects: Subject[],
    ops: Operation[],
    points: { spread: number | "all"; gaps: number },
    log: (r: CutResult) => void = () => undefined,
): Promise<CutResult[]> {
    const proxy = new CutProxy(vm.port);
    await proxy.start();
    const results: CutResult[] = [];
    try {
        for (const s of subjects) {
            for (const op of ops) {
                const { bytes, chunks, after } = await measureSession(vm, proxy, s, op);
                for (const at of cutPoints(chunks, points.spread, points.gaps)) {
                    const r = await cutOnce(vm, proxy, s, op, at, bytes, after);
                    results.push(r);
                    log(r);
                }
            }
        }
    } finally {
        await proxy.stop();
    }
    return results;
}

export function summarize(results: CutResult[]): string {
    const rows = results.map(
        (r) =>
            `| ${r.subject} | ${r.op} | ${r.cutAt} (of ${r.sessionBytes} server bytes) | ${r.cutRunFailed ? "failed" : "succeeded"} | ${r.fileState} | ${r.tempFiles} | ${r.converged ? "yes" : "NO"} |`,
    );
    const ok = (r: CutResult) => r.converged && r.fileState !== "partial" && r.tempFiles === 0;
    const per = [...new Set(results.map((r) => r.subject))].map((s) => {
        const mine = results.filter((r) => r.subject === s);
        return `${s} ${mine.filter(ok).length}/${mine.length}`;
    });
    return [
        "| resource | operation | cut | cut run | files after cut | temp files | converged |",
        "|---|---|---|---|---|---|---|",
        ...rows,
        "",
        `${results.length} cut points tried, ${results.filter(ok).length} converged with no partial file and no temporary file left (${per.join(", ")}); ${results.filter((r) => r.cutRunFailed).length} cuts made the run fail, ${results.filter((r) => r.cutRunFailed && r.fileState === "new").length} of them after the host had changed (the apply finished on the host, its answer never reached Pulumi).`,
    ].join("\n");
}
