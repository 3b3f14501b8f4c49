// The one parser of the Lockdown level in the audit: /sys/kernel/security/lockdown.

export type LockdownLevel = "none" | "integrity" | "confidentiality";

export interface LockdownState {
    current: LockdownLevel;
    available: string[];
}

export const LOCKDOWN_RANK: Record<LockdownLevel, number> = { none: 0, integrity: 1, confidentiality: 2 };

const LEVELS: readonly string[] = ["none", "integrity", "confidentiality"];
const isLevel = (s: string): s is LockdownLevel => LEVELS.includes(s);

/** Parses "[none] integrity confidentiality"; null unless exactly one known level is bracketed. */
export function parseLockdown(text: string): LockdownState | null {
    let current: LockdownLevel | null = null;
    const available: string[] = [];
    for (const token of text.trim().split(/\s+/).filter(Boolean)) {
        const bracketed = /^\[(.*)\]$/.exec(token);
        const name = bracketed ? bracketed[1] : token;
        if (!isLevel(name)) return null;
        if (bracketed) {
            if (current !== null) return null;
            current = name;
        }
        available.push(name);
    }
    return current === null ? null : { current, available };
}
