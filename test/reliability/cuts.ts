// The connection-cut campaign: for each operation (create, update, delete) the SSH session between
// the provider and the VM is cut at evenly spread points, the host is checked (old or new file,
// never partial; no temporary files), and the next `pulumi up`/`destroy` must converge unaided.
import { connectionFor, restore, sh, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { CutProxy } from "../harness/cutproxy";
import { PROGRAM_DIR } from "../e2e/shared";

export type Operation = "create" | "update" | "delete";

export interface CutResult {
    op: Operation;
    cutAtByte: number;
    sessionBytes: number;
    /** Whether the cut run itself failed (a cut after the last byte the provider needed lets it succeed). */
    cutRunFailed: boolean;
    fileState: "old" | "new" | "partial";
    tempFiles: number;
    converged: boolean;
    detail?: string;
}

const FILE = "70-cut.conf";
const A = { "kernel.kptr_restrict": "2", "kernel.yama.ptrace_scope": "1", "vm.swappiness": "10" };
const B = { "kernel.kptr_restrict": "1", "vm.swappiness": "20", "kernel.dmesg_restrict": "0" };
const KEYS = ["kernel.kptr_restrict", "kernel.yama.ptrace_scope", "vm.swappiness", "kernel.dmesg_restrict"];

const spec = (entries: Record<string, string>) => JSON.stringify([{ type: "Sysctl", name: "cut", args: { file: FILE, entries } }]);

async function hostFile(vm: VmState): Promise<string | null> {
    const out = await sh(vm, `cat /etc/sysctl.d/${FILE} 2>/dev/null || echo '<absent>'`);
    return out === "<absent>\n" ? null : out;
}

async function liveValues(vm: VmState): Promise<Record<string, string>> {
    const out = (await sh(vm, `sysctl -n ${KEYS.join(" ")}`)).trim().split("\n");
    return Object.fromEntries(KEYS.map((k, i) => [k, out[i]]));
}

/** Brings a fresh stack to the state before `op`; returns it and the file contents before/after op. */
async function prepare(vm: VmState, proxy: CutProxy, op: Operation) {
    const st = new Stack(PROGRAM_DIR);
    await st.init({ connection: { value: JSON.stringify({ ...connectionFor(vm), port: proxy.port, dialErrorLimit: 1, perDialTimeout: 10 }), secret: true }, resources: { value: spec(A) } });
    proxy.measure();
    if (op !== "create") await st.ok(["up", "--yes", "--skip-preview", "--stack", st.name]);
    const before = await hostFile(vm);
    if (op === "update") await st.setConfig("resources", spec(B));
    return { st, before };
}

function runOp(st: Stack, op: Operation) {
    return op === "delete" ? st.destroy() : st.up();
}

/** Server-to-client bytes of one run of `op`, to spread the cut points over. */
export async function measureSession(vm: VmState, proxy: CutProxy, op: Operation): Promise<{ bytes: number; after: string | null }> {
    await restore(vm);
    const { st } = await prepare(vm, proxy, op);
    try {
        proxy.measure();
        const r = await runOp(st, op);
        if (r.code !== 0) throw new Error(`uncut ${op} failed:\n${r.output}`);
        return { bytes: proxy.bytes, after: await hostFile(vm) };
    } finally {
        st.cleanup();
    }
}

export async function cutOnce(vm: VmState, proxy: CutProxy, op: Operation, cutAt: number, sessionBytes: number, expectedAfter: string | null, original: Record<string, string>): Promise<CutResult> {
    await restore(vm);
    const { st, before } = await prepare(vm, proxy, op);
    try {
        proxy.armCut(cutAt);
        const cut = await runOp(st, op);
        proxy.measure();
        const file = await hostFile(vm);
        const fileState = file === before ? "old" : file === expectedAfter ? "new" : "partial";
        const tempFiles = Number((await sh(vm, "ls -a /etc/sysctl.d | grep -c 'kh-' || true")).trim());
        // Converge without help: the same command again, then nothing left to do.
        const again = await runOp(st, op);
        let converged = again.code === 0;
        let detail = converged ? undefined : again.output.slice(-600);
        if (converged && op !== "delete") {
            const pre = await st.preview(["--expect-no-changes"]);
            const live = await liveValues(vm);
            const want = op === "create" ? A : B;
            converged = pre.code === 0 && Object.entries(want).every(([k, v]) => live[k] === v) && (await hostFile(vm)) === expectedAfter;
            if (op === "update") converged &&= live["kernel.yama.ptrace_scope"] === original["kernel.yama.ptrace_scope"];
            if (!converged) detail = `preview ${pre.code}; live ${JSON.stringify(live)}`;
        }
        if (converged && op === "delete") {
            const live = await liveValues(vm);
            converged = (await hostFile(vm)) === null && KEYS.every((k) => live[k] === original[k]);
            if (!converged) detail = `after destroy: live ${JSON.stringify(live)} vs original ${JSON.stringify(original)}`;
        }
        return { op, cutAtByte: cutAt, sessionBytes, cutRunFailed: cut.code !== 0, fileState, tempFiles, converged, detail };
    } finally {
        st.cleanup();
    }
}

/** Runs `points` cuts per operation, spread over the measured session. */
export async function campaign(vm: VmState, ops: Operation[], points: number, log: (r: CutResult) => void = () => undefined): Promise<CutResult[]> {
    const proxy = new CutProxy(vm.port);
    await proxy.start();
    const results: CutResult[] = [];
    try {
        await restore(vm);
        const original = await liveValues(vm);
        for (const op of ops) {
            const { bytes, after } = await measureSession(vm, proxy, op);
            for (let i = 1; i <= points; i++) {
                const at = Math.max(1, Math.round((bytes * i) / (points + 1)));
                const r = await cutOnce(vm, proxy, op, at, bytes, after, original);
                results.push(r);
                log(r);
            }
        }
    } finally {
        await proxy.stop();
    }
    return results;
}

export function summarize(results: CutResult[]): string {
    const rows = results.map((r) => `| ${r.op} | ${r.cutAtByte} / ${r.sessionBytes} | ${r.cutRunFailed ? "failed" : "succeeded"} | ${r.fileState} | ${r.tempFiles} | ${r.converged ? "yes" : "NO"} |`);
    const converged = results.filter((r) => r.converged && r.fileState !== "partial" && r.tempFiles === 0).length;
    return [
        "| operation | cut at byte (server to client) | cut run | file after cut | temp files | converged |",
        "|---|---|---|---|---|---|",
        ...rows,
        "",
        `${results.length} cut points tried, ${converged} converged with no partial file and no temporary file left.`,
    ].join("\n");
}
