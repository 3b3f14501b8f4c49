// Pure planning for ModuleBlocklist: observed host state + desired inputs -> what differs, the
// outputs to record and what an apply failed to do. No I/O here, so every rule is unit-tested.
import { PropertyChange } from "../../protocol/contract";
import { blockedIn, BlocklistInputs, ObservedBlocklist, renderBlocklist } from "./model";

/** What the provider records in state (besides the inputs it echoes). */
export interface BlocklistState {
    path: string;
    /** Exact content of the file, or null when it is missing. */
    fileContent: string | null;
    /** Modules the file blocks both ways, as found on the host. */
    blocked: string[];
    /** Modules of the blocklist loaded now: the blocklist only stops the next load. */
    loadedBlocked: string[];
}

export function stateFromObservation(
    inp: Pick<BlocklistInputs, "file" | "modules">,
    obs: ObservedBlocklist,
): BlocklistState {
    return {
        path: `/etc/modprobe.d/${inp.file}`,
        fileContent: obs.file,
        blocked: obs.file === null ? [] : blockedIn(obs.file),
        loadedBlocked: inp.modules.filter((m) => obs.loaded.includes(m)),
    };
}

/** What an apply left undone, or an empty list. */
export function unverified(inp: Pick<BlocklistInputs, "file" | "modules">, st: BlocklistState): string[] {
    return st.fileContent === renderBlocklist(inp.modules)
        ? []
        : [`/etc/modprobe.d/${inp.file} does not hold the blocklist after apply`];
}

export function loadedWarning(st: Pick<BlocklistState, "loadedBlocked">): string | undefined {
    if (!st.loadedBlocked.length) return undefined;
    const loaded = st.loadedBlocked.join(", ");
    return `loaded now: ${loaded}; the blocklist stops the next load, unload them (rmmod) or reboot`;
}

/** What the state says, as far as the diff needs it. */
export interface RecordedBlocklist {
    connection?: { host: string; port: number };
    file?: string;
    blocked: string[];
    fileContent?: string | null;
}

/** What differs between the recorded (refreshed) state and the desired one; the file and the host identify it. */
export function diffBlocklist(old: RecordedBlocklist, want: BlocklistInputs): PropertyChange[] {
    const changes: PropertyChange[] = [];
    if (old.file !== want.file) changes.push({ path: "file", kind: "update", replace: true });
    if (old.connection?.host !== want.connection.host || old.connection?.port !== want.connection.port) {
        changes.push({ path: "connection.host", kind: "update", replace: true });
    }
    if (JSON.stringify(old.blocked) !== JSON.stringify(want.modules)) changes.push({ path: "modules", kind: "update" });
    else if (old.fileContent !== renderBlocklist(want.modules))
        changes.push({ path: "fileContent", kind: old.fileContent === null ? "add" : "update" });
    return changes;
}
