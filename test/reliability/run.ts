// `npm run reliability -- [points]`: the full connection-cut sweep on a fresh VM, printed as a table.
import { snapshot, startVm, stopVm } from "../harness/vm";
import { campaign, summarize } from "./cuts";

async function main() {
    const points = Number(process.argv[2] ?? 10);
    const vm = await startVm("reliability");
    try {
        await snapshot(vm, "ready");
        const results = await campaign(vm, ["create", "update", "delete"], points, (r) =>
            console.error(`${r.op} cut at ${r.cutAtByte}/${r.sessionBytes}: ${r.cutRunFailed ? "run failed" : "run succeeded"}, file ${r.fileState}, temps ${r.tempFiles}, converged ${r.converged}${r.detail ? ` (${r.detail})` : ""}`),
        );
        console.log(summarize(results));
        if (results.some((r) => !r.converged || r.fileState === "partial" || r.tempFiles > 0)) process.exitCode = 1;
    } finally {
        await stopVm(vm);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
