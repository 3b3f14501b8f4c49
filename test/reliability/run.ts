// `npm run reliability -- [spread|all] [gaps] [subjects]`: the connection-cut sweep on a fresh VM,
// printed as a table: per resource and operation, `spread` cuts spread over the session's steps plus
// `gaps` cuts while remote commands run (see cutPoints), or a cut after every step ("all").
// Subjects: comma-separated of sysctl,lockdown,kernelpin,modules (default: all); operations:
// comma-separated of create,update,delete (default: all three), e.g. to finish a sweep cut short.
import { snapshot, startVm, stopVm } from "../harness/vm";
import { campaign, Operation, summarize, SUBJECTS } from "./cuts";

async function main() {
    const spread = process.argv[2] === "all" ? "all" : Number(process.argv[2] ?? 4);
    const gaps = Number(process.argv[3] ?? 2);
    const names = (process.argv[4] ?? Object.keys(SUBJECTS).join(",")).split(",");
    const known: Operation[] = ["create", "update", "delete"];
    const asked = (process.argv[5] ?? known.join(",")).split(",");
    const ops = known.filter((o) => asked.includes(o));
    const badOps = asked.filter((o) => !known.some((k) => k === o));
    if (badOps.length) throw new Error(`unknown operation(s) ${badOps.join(", ")}; known: ${known.join(", ")}`);
    const unknown = names.filter((n) => !SUBJECTS[n]);
    if (unknown.length) throw new Error(`unknown subject(s) ${unknown.join(", ")}; known: ${Object.keys(SUBJECTS).join(", ")}`);
    const vm = await startVm("reliability");
    const t = Date.now();
    try {
        await snapshot(vm, "ready");
        const results = await campaign(vm, names.map((n) => SUBJECTS[n]), ops, { spread, gaps }, (r) =>
            console.error(`${r.subject} ${r.op} cut ${r.cutAt}: ${r.cutRunFailed ? "run failed" : "run succeeded"}, files ${r.fileState}, temps ${r.tempFiles}, converged ${r.converged}${r.detail ? ` (${r.detail})` : ""}`),
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
