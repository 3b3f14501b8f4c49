// Pure planning for Sysctl: observed host state + desired inputs -> what differs, what to do, and
// the outputs to record. No I/O here, so every rule is unit-tested.
import {
    ApplyPlan,
    normaliseValue,
    ObservedSysctl,
    parseConf,
    parseOwnFile,
    ParsedLine,
    renderFile,
    sameValue,
    SetStep,
    SysctlInputs,
    Takeover,
} from "./model";

function sameEntries(parsed: Map<string, ParsedLine>, want: Record<string, string>): boolean {
    const same = Object.entries(want).every(([k, v]) => parsed.get(k)?.value === v);
    return parsed.size === Object.keys(want).length && same;
}
import { findOverrides, Override } from "./precedence";
import { mapPath, PropertyChange } from "../../protocol/contract";

/** What the provider records in state (besides the inputs it echoes). */
export interface SysctlState {
    /**
     * Per managed key: the value found on the host where it differs from the desired one (live
     * first, then file), else the desired value.
     */
    entries: Record<string, string | null>;
    path: string;
    /** Live value of each managed key. */
    liveValues: Record<string, string | null>;
    /** Exact content of the drop-in file, or null if it is missing. */
    fileContent: string | null;
    /** Value each key had before this resource first set it; restored on delete. */
    previousValues: Record<string, string | null>;
    /** Files applied after ours at boot that set a managed key to another value. */
    overriddenBy: Override[];
}

const norm = (v: string | null | undefined) => (v === null || v === undefined ? null : normaliseValue(v));

/** Turns an observation into recorded state, relative to what is desired. */
export function stateFromObservation(desired: Pick<SysctlInputs, "file" | "entries">, obs: ObservedSysctl, previousValues: Record<string, string | null>): SysctlState {
    const inFile = obs.file === null ? new Map() : parseConf(obs.file);
    const entries: Record<string, string | null> = {};
    const liveValues: Record<string, string | null> = {};
    for (const [k, want] of Object.entries(desired.entries)) {
        const live = norm(obs.live[k]);
        liveValues[k] = live;
        const persisted = inFile.get(k)?.value ?? null;
        // The kernel prints integers in decimal: "0x10" wanted is in force as "16".
        entries[k] = !sameValue(live, want) ? live : persisted !== want ? persisted : want;
    }
    return {
        entries,
        path: `/etc/sysctl.d/${desired.file}`,
        liveValues,
        fileContent: obs.file,
        previousValues,
        overriddenBy: findOverrides(obs.confFiles, desired.file, desired.entries),
    };
}

export interface RecordedState {
    entries: Record<string, string | null>;
    comment?: string;
    file: string;
    fileContent: string | null;
    host: string;
    port: number;
}

/**
 * Property changes between what is recorded (or observed) and what is desired. The file name and
 * the host identify the resource, so changing them replaces it (delete first: the old drop-in's
 * restore must not undo the new one's values).
 */
export function diffSysctl(old: RecordedState, want: Pick<SysctlInputs, "entries" | "comment" | "file"> & { host: string; port: number }): PropertyChange[] {
    const changes: PropertyChange[] = [];
    if (old.file !== want.file) changes.push({ path: "file", kind: "update", replace: true });
    if (old.host !== want.host) changes.push({ path: "connection.host", kind: "update", replace: true });
    if (old.port !== want.port) changes.push({ path: "connection.port", kind: "update", replace: true });
    for (const [k, v] of Object.entries(want.entries)) {
        if (!(k in old.entries)) changes.push({ path: mapPath("entries", k), kind: "add" });
        else if (old.entries[k] !== v) changes.push({ path: mapPath("entries", k), kind: "update" });
    }
    for (const k of Object.keys(old.entries)) if (!(k in want.entries)) changes.push({ path: mapPath("entries", k), kind: "delete" });
    if ((old.comment ?? "") !== (want.comment ?? "")) changes.push({ path: "comment", kind: old.comment ? (want.comment ? "update" : "delete") : "add" });
    // A hand edit that no key shows (an extra line, a removed comment) still counts in a file we
    // wrote; a file written by someone else (imported) counts only when its settings differ.
    if (changes.length === 0 && old.file === want.file && old.fileContent !== renderFile(want)) {
        const foreign = old.fileContent !== null && !parseOwnFile(old.fileContent).ours;
        const sameSettings = foreign && sameEntries(parseConf(old.fileContent!), want.entries);
        if (!sameSettings) changes.push({ path: "fileContent", kind: old.fileContent === null ? "add" : "update" });
    }
    return changes;
}

/**
 * Steps that bring the host to `want`. The host writes a key or the file only where it differs,
 * so a converged host sees no writes at all. Keys dropped from the resource get their recorded
 * previous value back.
 */
export function planApply(
    want: Pick<SysctlInputs, "file" | "entries" | "comment"> & { adopt?: boolean },
    previousValues: Record<string, string | null>,
): ApplyPlan & { takeover: Takeover } {
    const sets: SetStep[] = Object.entries(want.entries).map(([key, value]) => ({ key, value }));
    for (const [key, prev] of Object.entries(previousValues)) {
        if (!(key in want.entries) && prev !== null) sets.push({ key, value: prev });
    }
    // A resource that has recorded previous values owns its file already (created or imported); a
    // new one must not take over a file someone else wrote unless told to (adopt).
    const takeover: Takeover = Object.keys(previousValues).length ? "own" : want.adopt ? "adopt" : "new";
    return { file: want.file, content: renderFile(want), sets, keys: Object.keys(want.entries), takeover };
}

/** Steps that undo the resource: previous values back live, our file removed. */
export function planDelete(file: string, previousValues: Record<string, string | null>): ApplyPlan {
    const sets: SetStep[] = [];
    for (const [key, prev] of Object.entries(previousValues)) if (prev !== null) sets.push({ key, value: prev });
    return { file, content: "delete", sets, keys: Object.keys(previousValues) };
}

/**
 * The value each desired key had before this resource first set it: kept from earlier applies,
 * else recorded on the host by an earlier apply, else what this apply replaced, else (already
 * right, or unreadable) what is live.
 */
export function nextPreviousValues(
    want: Record<string, string>,
    after: ObservedSysctl,
    before: Record<string, string | null>,
): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const k of Object.keys(want)) {
        if (k in before) out[k] = before[k];
        else if (k in after.prev) out[k] = norm(after.prev[k]);
        else if (k in after.before) out[k] = norm(after.before[k]);
        else out[k] = norm(after.live[k]);
    }
    return out;
}

/** Keys whose live value after apply differs from the desired one (the kernel adjusted or ignored it). */
export function unverified(want: Record<string, string>, obs: ObservedSysctl): string[] {
    return Object.entries(want)
        .filter(([k, v]) => !sameValue(obs.live[k], v))
        .map(([k, v]) => `${k}: wanted ${JSON.stringify(v)}, the kernel reports ${JSON.stringify(norm(obs.live[k]))}`);
}
