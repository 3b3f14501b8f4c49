// Sysctl's read encodes live and previous values in awk (one process for every key, not ten per key):
// whatever bytes a host's /proc/sys and previous-values file hold, the records say exactly what
// `$(cat FILE)` and base64 would have said, under dash and bash.
import fc from "fast-check";
import { OBSERVE_SCRIPT } from "../../../provider/resources/sysctl/host";
import { Case, cleanup, runScript, SHELLS } from "./harness";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
/** What $(cat FILE) keeps: the content without its trailing newlines. */
const catted = (s: string) => s.replace(/\n+$/, "");

test.each(SHELLS)("live values and previous values of any content are encoded exactly (%s)", (shell) => {
    fc.assert(
        fc.property(
            fc.array(fc.fullUnicodeString({ maxLength: 40 }).filter((s) => !s.includes("\0")), { minLength: 1, maxLength: 6 }),
            fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_.]{0,20}$/), fc.base64String({ maxLength: 24 })), { maxLength: 4 }),
            (values, prev) => {
                const tree: Record<string, string> = {};
                values.forEach((v, i) => (tree[`proc/sys/kh/key${i}`] = v));
                tree["var/lib/kernelhardening/sysctl/90-x.conf.previous"] = prev.map(([k, v]) => `${k}\t${v}\n`).join("");
                const c: Case = {
                    name: "property",
                    script: "sysctl.observe",
                    tree,
                    stdin: [["F", "90-x.conf"], ...values.map((_, i) => ["K", `kh.key${i}`, `kh/key${i}`]), ["K", "kh.gone", "kh/gone"]],
                    expect: { code: 0 },
                };
                const run = runScript(shell, OBSERVE_SCRIPT, c);
                try {
                    expect(run.code).toBe(0);
                    const live = run.records.filter((r) => r[0] === "live");
                    expect(live).toEqual(values.map((v, i) => ["live", b64(`kh.key${i}`), b64(catted(v))]));
                    expect(run.records.filter((r) => r[0] === "nolive").map((r) => r[1])).toEqual([b64("kh.gone")]);
                    const kept = prev.filter(([, v]) => v !== "");
                    expect(run.records.filter((r) => r[0] === "prev")).toEqual(kept.map(([k, v]) => ["prev", b64(k), v]));
                } finally {
                    cleanup(run.dir);
                }
            },
        ),
        { numRuns: 40 },
    );
});

test.each(SHELLS)("a forged previous-values line passes on only base64's alphabet (%s)", (shell) => {
    const c: Case = {
        name: "forged",
        script: "sysctl.observe",
        tree: {
            "proc/sys/kernel/kptr_restrict": "2\n",
            "var/lib/kernelhardening/sysctl/90-x.conf.previous": "\tkernel.kptr_restrict\tM\x1b[2J\n\tg==\nnotab\nkernel.x\t\u00e9!\n",
        },
        stdin: [["F", "90-x.conf"], ["K", "kernel.kptr_restrict", "kernel/kptr_restrict"]],
        expect: { code: 0 },
    };
    const run = runScript(shell, OBSERVE_SCRIPT, c);
    try {
        expect(run.records.filter((r) => r[0] === "prev")).toEqual([["prev", b64("kernel.kptr_restrict"), "M2J"]]);
        expect(run.records.filter((r) => r[0] === "live")).toEqual([["live", b64("kernel.kptr_restrict"), b64("2")]]);
    } finally {
        cleanup(run.dir);
    }
});
