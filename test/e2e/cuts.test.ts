// A short connection-cut sweep in the suite (the long one: npm run reliability).
import { campaign, summarize } from "../reliability/cuts";
import { pristineVm } from "./shared";

jest.setTimeout(1_800_000);

test("a connection cut during create, update or delete never leaves a partial file or a temporary file, and the next run converges", async () => {
    const vm = await pristineVm();
    const results = await campaign(vm, ["create", "update", "delete"], 2);
    process.stderr.write(summarize(results) + "\n");
    expect(results).toHaveLength(6);
    for (const r of results) {
        expect({ op: r.op, at: r.cutAtByte, file: r.fileState, temps: r.tempFiles, converged: r.converged, detail: r.detail }).toEqual({
            op: r.op, at: r.cutAtByte, file: r.fileState === "partial" ? "old or new" : r.fileState, temps: 0, converged: true, detail: undefined,
        });
    }
    // The cuts really interrupted runs (a sweep whose cuts all land after the work proves nothing).
    expect(results.filter((r) => r.cutRunFailed).length).toBeGreaterThanOrEqual(4);
});
