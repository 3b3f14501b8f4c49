// The line protocol between our constant shell scripts and the provider.
// Both directions: one record per line, fields separated by TAB; any field that may hold arbitrary
// bytes is base64 so no user data is ever parsed by the shell or splits a record. Empty fields keep
// their place both ways: the scripts read their input with read_records (prelude.sh), which turns
// each TAB into a separator that `read` does not merge, and parseRecords splits on every TAB.

export type Record_ = string[];

export function b64(s: string): string {
    return Buffer.from(s, "utf8").toString("base64");
}

export function unb64(s: string): string {
    return Buffer.from(s, "base64").toString("utf8");
}

/** The last line of every script input: a script acts only on input that ends with it (see read_input). */
export const END_OF_INPUT = "END";

/**
 * Encodes records for a script's stdin, ended by END_OF_INPUT, so input cut short by a lost
 * connection is refused rather than half-applied. Fields must not contain a control character (TAB,
 * newline, the separator read_records uses; callers base64 them).
 */
export function encodeRecords(records: Record_[]): string {
    for (const r of records) {
        for (const f of r) if (/[\x00-\x1f\x7f]/.test(f)) throw new Error(`internal: unencoded field ${JSON.stringify(f)}`);
    }
    return records.map((r) => r.join("\t") + "\n").join("") + END_OF_INPUT + "\n";
}

export function parseRecords(out: Buffer | string): Record_[] {
    return out
        .toString("utf8")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => l.split("\t"));
}
