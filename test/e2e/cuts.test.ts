// A short connection-cut sweep in the suite (the long one: npm run reliability).
import { campaign, CutResult, summarize, SUBJECTS } from "../reliability/cuts";
import { pristineVm } from "./shared";

jest.setTimeout(1_800_000);

function expectSafe(results: CutResult[]) {
    for (const r of results) {
        expect({
            subject: r.subject,
            op: r.op,
            at: r.cutAt,
            file: r.fileState,
            temps: r.tempFiles,
            converged: r.converged,
            detail: r.detail,
        }).toEqual({
            subject: r.subject,
            op: r.op,
            at: r.cutAt,
            file: r.fileState === "partial" ? "old or new" : r.fileState,
            temps: 0,
            converged: true,
            detail: undefined,
        });
    }
}

test("a connection cut during create, update or delete of a Sysctl never leaves a partial file or a temporary file, and the next run converges", async () => {
    const vm = await pristineVm();
    const results = await campaign(vm, [SUBJECTS.sysctl], ["create", "update", "delete"], { spread: 1, gaps: 1 });
    process.stderr.write(summarize(results) + "\n");
    expect(results.length).toBeGreaterThanOrEqual(5);
    expectSafe(results);
    // The cuts really interrupted runs (a sweep whose cuts all land after the work proves nothing),
    // and some landed while the apply ran: it finished on the host, its answer never reached Pulumi.
    expect(results.filter((r) => r.cutRunFailed).length).toBeGreaterThanOrEqual(4);
    expect(results.filter((r) => r.cutRunFailed && r.fileState === "new").length).toBeGreaterThanOrEqual(1);
});

test("the same for Lockdown, KernelPackagePin and ModuleBlocklist, cut while each operation's longest remote step runs", async () => {
    const vm = await pristineVm();
    const results = await campaign(
        vm,
        [SUBJECTS.lockdown, SUBJECTS.kernelpin, SUBJECTS.modules],
        ["create", "update", "delete"],
        { spread: 0, gaps: 1 },
    );
    process.stderr.write(summarize(results) + "\n");
    expect(results).toHaveLength(9);
    expectSafe(results);
    expect(results.filter((r) => r.cutRunFailed).length).toBeGreaterThanOrEqual(6);
});
