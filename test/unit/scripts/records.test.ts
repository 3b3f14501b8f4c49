// The record protocol end to end: records.ts's encoder -> the real shell reader (prelude.sh's
// read_records and `IFS="$FS" read`) -> emit -> records.ts's parser, under dash and bash,
// property-based: every field comes back in its place, empty ones included.
import fc from "fast-check";
import { spawnSync } from "child_process";
import { encodeRecords, parseRecords, Record_ } from "../../../provider/host/records";
import { SH_PRELUDE } from "../../../provider/host/shell";
import { SHELLS } from "./harness";

const ARITY = 6;
const ECHO = `${SH_PRELUDE}
in=$(mktemp) || exit 70
read_records "$in"
while IFS="$FS" read -r a b c d e f; do emit "$a" "$b" "$c" "$d" "$e" "$f"; done < "$in"
rm -f "$in"
`;

function throughShell(shell: string, script: string, records: Record_[]): Record_[] {
    const r = spawnSync(shell, ["-c", script], { argv0: "sh", input: encodeRecords(records), encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${shell} exited ${r.status}: ${r.stderr}`);
    return parseRecords(r.stdout);
}

// Any text a field may carry: no control characters (encodeRecords refuses those), but spaces,
// backslashes, quotes, glob characters, shell syntax and any Unicode, and often nothing at all.
const fieldText = fc.oneof(
    { weight: 2, arbitrary: fc.constant("") },
    { weight: 3, arbitrary: fc.stringOf(fc.constantFrom(" ", "\\", "'", '"', "*", "?", "$", "`", "-", "=", "#", "é", "😀", "a", "0", "/")) },
    { weight: 3, arbitrary: fc.fullUnicodeString({ maxLength: 12 }).map((s) => s.replace(/[\x00-\x1f\x7f]/g, "")) },
);
const record = fc.tuple(fc.constantFrom("S", "W", "F", "K", "R"), fc.array(fieldText, { maxLength: ARITY - 1 })).map(([t, f]) => [t, ...f]);
const pad = (r: Record_) => [...r, ...Array(ARITY - r.length).fill("")];

describe.each(SHELLS)("%s", (shell) => {
    test("every field round-trips in its place, empty ones included", () => {
        fc.assert(
            fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), (records) => {
                expect(throughShell(shell, ECHO, records)).toEqual(records.map(pad));
            }),
            { numRuns: 60 },
        );
    });

    test("the reader the scripts used before (IFS=TAB) shifts fields after an empty one", () => {
        // What finding 8 of issue 14 saw: "W<TAB>k<TAB><TAB>X" read its third field as X.
        const old = `${SH_PRELUDE}\nin=$(mktemp); read_input "$in"\nwhile IFS="$TAB" read -r a b c d; do emit "$a" "$b" "$c" "$d"; done < "$in"\n`;
        expect(throughShell(shell, old, [["W", "k", "", "X"]])).toEqual([["W", "k", "X", ""]]);
        expect(throughShell(shell, ECHO, [["W", "k", "", "X"]])).toEqual([["W", "k", "", "X", "", ""]]);
    });
});

test("a field the shell could split on (a control character) is refused by the encoder", () => {
    fc.assert(
        fc.property(fieldText, fc.integer({ min: 0, max: 0x1f }), fieldText, (a, c, b) => {
            expect(() => encodeRecords([["S", a + String.fromCharCode(c) + b]])).toThrow(/unencoded field/);
        }),
        { numRuns: 300 },
    );
    expect(() => encodeRecords([["S", "a\x7fb"]])).toThrow(/unencoded field/);
});
