// `npm run reliability -- [points] [subjects]`: the full connection-cut sweep on a fresh VM, printed
// as a table. Subjects: comma-separated of sysctl,lockdown,kernelpin,modules (default: all).
import { snapshot, startVm, stopVm } from "../harness/vm";
import { campaign, summarize, SUBJECTS } from "./cuts";

async function main() {
    const points = Number(process.argv[2] ?? 10);
    const names = (process.argv[3] ?? Object.keys(SUBJECTS).join(",")).split(",");
    const unknown = names.filter((n) => !SUBJECTS[n]);
    if (unknown.length) throw new Error(`unknown subject(s) ${unknown.join(", ")}; known: ${Object.keys(SUBJECTS).join(", ")}`);
    const vm = await startVm("reliability");
    const t = Date.now();
    try {
        await snapshot(vm, "ready");
        const results = await campaign(vm, names.map((n) => SUBJECTS[n]), ["create", "update", "delete"], points, (r) =>
            console.error(`${r.subject} ${r.op} cut at ${r.cutAtByte}/${r.sessionBytes}: ${r.cutRunFailed ? "run failed" : "run succeeded"}, files ${r.fileState}, temps ${r.tempFiles}, converged ${r.converged}${r.detail ? ` (${r.detail})` : ""}`),
        );
        console.log(summarize(results));
        console.log(`\n${((Date.now() - t) / 60000).toFixed(1)} min`);
        if (results.some((r) => !r.converged || r.fileState === "partial" || r.tempFiles > 0)) process.exitCode = 1;
    } finally {
        await stopVm(vm);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
