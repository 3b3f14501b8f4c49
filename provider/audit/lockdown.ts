// The audit reads the Lockdown level with the provider's one parser (provider/kernel/lockdown.ts).
import { LockdownFile, parseLockdownFile, rank } from "../kernel/lockdown";

export type LockdownState = LockdownFile;

/** Parses "[none] integrity confidentiality"; null unless exactly one known level is bracketed. */
export const parseLockdown = parseLockdownFile;

/** Whether the level in force is at least `integrity`. */
export function lockedDown(l: LockdownState): boolean {
    return rank(l.current) >= rank("integrity");
}
