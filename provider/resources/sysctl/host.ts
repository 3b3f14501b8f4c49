// The Sysctl resource's two remote operations, each one SSH round trip:
//   observe: the drop-in file, each managed key's live value, and every sysctl.d file (for precedence)
//   apply:   set live values (rolled back if the kernel refuses one), then write or remove the file
//            atomically, then observe again so the caller verifies what is in force.
import { Connection, endpoint } from "../../ssh/connection";
import { HostError } from "../../ssh/pool";
import { runScript } from "../../host/run";
import { b64, encodeRecords, parseRecords, unb64, Record_ } from "../../host/records";
import { shellScript } from "../../host/scripts";
import { ApplyPlan, DROPIN_DIR, kernelCanonical, ObservedSysctl, procPath, Takeover } from "./model";

export class KernelRejected extends Error {
    constructor(
        readonly key: string,
        readonly value: string,
        readonly reason: string,
        where: string,
        notRestored: string[] = [],
    ) {
        super(
            `${where}: the kernel rejected ${key} = ${JSON.stringify(value)}: ${reason}; nothing was persisted` +
                (notRestored.length
                    ? `, but restoring the keys already set failed: ${notRestored.join("; ")}`
                    : " and keys already set were restored"),
        );
    }
}

/** /proc/sys mounted read-only (a container, say): no key can be set on this host. */
class ReadOnlyProcSys extends HostError {
    constructor(where: string, key: string) {
        super(`${where}: /proc/sys is read-only on this host (mounted read-only, as in a container), so ${key} cannot be set; nothing was persisted`);
    }
}

/** Our drop-in's name is taken by a file this provider did not write. */
class ForeignFile extends HostError {
    constructor(where: string, path: string) {
        super(
            `${where}: ${path} exists and was not written by this provider (no "Managed by Pulumi" header); it was left ` +
                "untouched. Choose another file name, or set adopt: true to take it over (its content is put back on delete)",
        );
    }
}

export const OBSERVE_SCRIPT = shellScript(__dirname, "lib.sh", "observe.sh");

export const APPLY_SCRIPT = shellScript(__dirname, "lib.sh", "apply.sh");

function parseObserved(records: Record_[]): ObservedSysctl {
    const obs: ObservedSysctl = { file: null, live: {}, confFiles: [], before: {}, prev: {} };
    for (const r of records) {
        switch (r[0]) {
            case "file":
                obs.file = unb64(r[1] ?? "");
                break;
            case "live":
                obs.live[unb64(r[1] ?? "")] = unb64(r[2] ?? "");
                break;
            case "nolive":
                obs.live[unb64(r[1] ?? "")] = null;
                break;
            case "prev":
                obs.prev[unb64(r[1] ?? "")] = unb64(r[2] ?? "");
                break;
            case "before":
                obs.before[unb64(r[1] ?? "")] = unb64(r[2] ?? "");
                break;
            case "conf":
                obs.confFiles.push({ dir: unb64(r[1] ?? ""), name: unb64(r[2] ?? ""), content: unb64(r[3] ?? "") });
                break;
        }
    }
    return obs;
}

/** "/bin/sh: 1: cannot create /proc/sys/x: Directory nonexistent" -> the reason a user can act on. */
export function cleanShellError(msg: string): string {
    const m = msg.trim();
    if (/Directory nonexistent|No such file or directory/i.test(m)) return "no such key on this kernel";
    if (/Permission denied/i.test(m)) return "the key is read-only";
    if (/Read-only file system/i.test(m)) return "Read-only file system";
    const last = m.split("\n").pop() ?? m;
    // "sh: 1: printf: write error: Invalid argument" -> the errno text after the last colon
    return last.split(": ").pop()?.trim() || m;
}

function observeRecords(file: string, keys: string[]): Record_[] {
    return [["F", file], ...keys.map((k) => ["K", k, procPath(k)])];
}

function failure(c: Connection, what: string, res: { code: number; stderr: string }): HostError {
    return new HostError(`${endpoint(c)}: ${what} failed (exit ${res.code}): ${res.stderr.trim().split("\n").slice(-3).join(" ")}`);
}

export async function observeSysctl(c: Connection, file: string, keys: string[]): Promise<ObservedSysctl> {
    const res = await runScript(c, OBSERVE_SCRIPT, encodeRecords(observeRecords(file, keys)), "sysctl.observe");
    if (res.code !== 0) throw failure(c, `reading ${DROPIN_DIR}/${file}`, res);
    return parseObserved(parseRecords(res.stdout));
}

export async function applySysctl(c: Connection, plan: ApplyPlan & { takeover?: Takeover }): Promise<ObservedSysctl> {
    const records: Record_[] = [];
    for (const s of plan.sets) records.push(["S", s.key, procPath(s.key), b64(s.value), b64(kernelCanonical(s.value))]);
    if (plan.content === "delete") records.push(["R", plan.file]);
    else if (plan.content !== undefined) records.push(["W", plan.file, b64(plan.content), plan.takeover ?? "own"]);
    records.push(...observeRecords(plan.file, plan.keys));
    const res = await runScript(c, APPLY_SCRIPT, encodeRecords(records), "sysctl.apply");
    const out = parseRecords(res.stdout);
    const where = endpoint(c);
    const rejected = out.find((r) => r[0] === "rejected");
    if (rejected) {
        const key = unb64(rejected[1] ?? "");
        const reason = cleanShellError(unb64(rejected[2] ?? ""));
        const notRestored = out
            .filter((r) => r[0] === "notrestored")
            .map((r) => `${unb64(r[1] ?? "")}: ${cleanShellError(unb64(r[2] ?? ""))}`);
        if (reason === "Read-only file system" && !notRestored.length) throw new ReadOnlyProcSys(where, key);
        const step = plan.sets.find((s) => s.key === key);
        throw new KernelRejected(key, step?.value ?? "", reason, where, notRestored);
    }
    if (out.some((r) => r[0] === "foreign")) throw new ForeignFile(where, `${DROPIN_DIR}/${plan.file}`);
    const failed = out.find((r) => r[0] === "failed");
    if (failed) throw new HostError(`${where}: ${unb64(failed[1] ?? "")}`);
    if (res.code !== 0) throw failure(c, `applying ${DROPIN_DIR}/${plan.file}`, res);
    return parseObserved(out);
}
