// The Lockdown LSM's levels and the files the kernel shows them in: the one parser of
// /sys/kernel/security/lockdown and /sys/kernel/security/lsm (Lockdown and the audit use it).
export const LEVELS = ["none", "integrity", "confidentiality"] as const;
export type Level = (typeof LEVELS)[number];
export type Mode = Exclude<Level, "none">;

/** The kernel only moves up this order at run time (lock_kernel_down() refuses anything <= current). */
export function rank(l: Level): number {
    return LEVELS.indexOf(l);
}

export function isLevel(s: unknown): s is Level {
    return typeof s === "string" && (LEVELS as readonly string[]).includes(s);
}

export interface LockdownFile {
    current: Level;
    available: Level[];
}

/** Parses "[none] integrity confidentiality"; null unless exactly one known level is bracketed. */
export function parseLockdownFile(text: string): LockdownFile | null {
    let current: Level | null = null;
    const available: Level[] = [];
    for (const token of text.trim().split(/\s+/).filter(Boolean)) {
        const m = /^\[(.*)\]$/.exec(token);
        const name = m ? m[1] : token;
        if (!isLevel(name)) return null;
        if (m) {
            if (current !== null) return null;
            current = name;
        }
        available.push(name);
    }
    return current === null ? null : { current, available };
}

/** "lockdown,capability,yama\n" -> ["lockdown", "capability", "yama"]. */
export function parseLsmList(text: string): string[] {
    return text.trim().split(",").map((s) => s.trim()).filter(Boolean);
}
