// Pure planning for Lockdown: observed host state + desired mode -> whether the kernel can do it,
// how the level is persisted, the steps of an apply, the state to record and what differs.
// No I/O here, so every rule is unit-tested.
import {
    GRUB_DROPIN,
    KERNEL_CMDLINE,
    Level,
    lockdownParam,
    Mode,
    modeInDropin,
    modeInUnit,
    parseLockdownFile,
    parseLsmList,
    Persistence,
    rank,
    renderGrubDropin,
    renderPersistence,
    renderUnit,
    setLockdownParam,
    UNIT_FILE,
    UNIT_NAME,
    cmdlineTokens,
    isLevel,
    ObservedLockdown,
    Step,
} from "./model";
import { PropertyChange } from "../../protocol/contract";

/** What the provider records in state besides the inputs it echoes. */
export interface LockdownState {
    /** The level found on the host where it falls short of the desired one (live first, then persisted), else the desired one. */
    mode: Level;
    /** The level in force now. */
    currentLevel: Level;
    persistence: Persistence;
    persistedIn: string;
    /** The level our persistence gives the next boot, as found on the host; null when it is missing or not in the boot configuration. */
    persistedMode: Level | null;
    /** Exact content of the file at persistedIn, null when it is missing. */
    persistedContent: string | null;
    cmdline: string;
    rebootRequired: boolean;
    lsms: string[];
    securityfsMounted: boolean;
    /** kernel-cmdline only: the lockdown= value /etc/kernel/cmdline had before this resource first set it (null: none). */
    previousCmdlineValue: string | null;
}

export interface KernelSupport {
    current: Level;
    available: Level[];
    lsms: string[];
    /** securityfs is built in but not mounted: the apply mounts it. */
    needsMount: boolean;
}

/** Whether this kernel can do lockdown at run time; an error names what is missing. */
export function kernelSupport(obs: ObservedLockdown): KernelSupport | { error: string } {
    if (obs.securityfs === "unsupported") {
        return { error: `the kernel ${obs.kernelRelease} has no securityfs (CONFIG_SECURITYFS), so its lockdown level cannot be read or set at run time` };
    }
    if (obs.securityfs === "unmounted" && obs.peekError !== null) {
        return {
            error: `securityfs is not mounted at /sys/kernel/security and could not be read in a private mount namespace (${obs.peekError}); mount it with \`mount -t securityfs securityfs /sys/kernel/security\``,
        };
    }
    const lsms = obs.lsmFile === null ? [] : parseLsmList(obs.lsmFile);
    if ((obs.lsmFile !== null && !lsms.includes("lockdown")) || obs.lockdownFile === null) {
        const active = obs.lsmFile === null ? "" : ` (active LSMs: ${lsms.join(",") || "none"})`;
        return {
            error: `the kernel ${obs.kernelRelease} has no Lockdown LSM${active}: it needs CONFIG_SECURITY_LOCKDOWN_LSM=y, and "lockdown" in the lsm= boot parameter when that is set`,
        };
    }
    const parsed = parseLockdownFile(obs.lockdownFile);
    if (!parsed) return { error: `cannot read the lockdown level from /sys/kernel/security/lockdown: ${JSON.stringify(obs.lockdownFile.trim())}` };
    return { current: parsed.current, available: parsed.available, lsms, needsMount: obs.securityfs === "unmounted" };
}

export interface PersistenceChoice {
    persistence: Persistence;
    path: string;
}

/**
 * How the level survives a reboot, in order of preference: the kernel command line through GRUB
 * (a drop-in that grub-mkconfig sources), through /etc/kernel/cmdline (kernel-install and
 * systemd-boot), else a unit that raises it early in boot.
 */
export function choosePersistence(obs: ObservedLockdown): PersistenceChoice | { error: string } {
    const g = obs.grub;
    if ((g.defaultFile || g.updateGrub) && (g.updateGrub || g.grubMkconfig)) return { persistence: "grub", path: GRUB_DROPIN };
    if (obs.kernelCmdline.content !== null) return { persistence: "kernel-cmdline", path: KERNEL_CMDLINE };
    if (obs.systemd) return { persistence: "systemd-unit", path: UNIT_FILE };
    const grubHint = g.defaultFile ? " (/etc/default/grub exists, but neither update-grub nor grub-mkconfig)" : "";
    return { error: `cannot persist lockdown on this host: no GRUB configuration to regenerate${grubHint}, no ${KERNEL_CMDLINE}, and systemd is not running` };
}

function hasToken(line: string, mode: Level): boolean {
    return cmdlineTokens(line).tokens.some((t) => t.name === "lockdown" && t.value === mode);
}

/** Whether sysinit.target wants our unit (the link systemctl enable makes, absolute or relative). */
function unitEnabled(obs: ObservedLockdown): boolean {
    return obs.unit.link === UNIT_FILE || obs.unit.link === `../${UNIT_NAME}`;
}

/** The level our persistence gives the next boot, and the content of the file it lives in. */
export function persistedState(p: Persistence, obs: ObservedLockdown): { mode: Level | null; content: string | null } {
    switch (p) {
        case "grub": {
            const content = obs.grub.dropin;
            const m = content === null ? null : modeInDropin(content);
            // The drop-in counts once grub.cfg carries its token on every kernel line.
            const lines = obs.grub.linuxLines ?? [];
            const inCfg = m !== null && lines.length > 0 && lines.every((l) => hasToken(l, m));
            return { mode: inCfg ? m : null, content };
        }
        case "kernel-cmdline": {
            const content = obs.kernelCmdline.content;
            const v = content === null ? null : lockdownParam(content);
            const m = isLevel(v) ? v : null;
            // With boot loader entries (layout bls), the running kernel's entries must carry it too.
            const entries = obs.kernelCmdline.layout === "bls" ? obs.kernelCmdline.entries : [];
            const inEntries = m !== null && entries.every((e) => hasToken(e.options, m));
            return { mode: inEntries ? m : null, content };
        }
        case "systemd-unit": {
            const content = obs.unit.content;
            return { mode: content !== null && unitEnabled(obs) ? modeInUnit(content) : null, content };
        }
    }
}

/** Turns an observation into recorded state, relative to the desired mode. */
export function stateFromObservation(want: Mode, obs: ObservedLockdown, previousCmdlineValue: string | null): LockdownState {
    const k = kernelSupport(obs);
    if ("error" in k) throw new Error(k.error);
    const choice = choosePersistence(obs);
    if ("error" in choice) throw new Error(choice.error);
    const persisted = persistedState(choice.persistence, obs);
    const current = k.current;
    const mode: Level = rank(current) < rank(want) ? current : persisted.mode !== want ? (persisted.mode ?? "none") : want;
    return {
        mode,
        currentLevel: current,
        persistence: choice.persistence,
        persistedIn: choice.path,
        persistedMode: persisted.mode,
        persistedContent: persisted.content,
        cmdline: obs.cmdline,
        rebootRequired: rank(current) > rank(want),
        lsms: k.lsms,
        securityfsMounted: obs.securityfs === "mounted",
        previousCmdlineValue: choice.persistence === "kernel-cmdline" ? previousCmdlineValue : null,
    };
}

export interface ApplyPlan {
    steps: Step[];
    persistence: Persistence;
    /** The live level is above the desired one: only the persistence changes, the level stays until a reboot. */
    lowerNeedsReboot: boolean;
    current: Level;
    /** kernel-cmdline: the lockdown= value to restore on delete. */
    previousCmdlineValue: string | null;
}

/** Steps that remove what this resource left for a persistence other than `keep`. */
function cleanupSteps(obs: ObservedLockdown, keep: Persistence | null, recorded: { persistence?: Persistence; previousCmdlineValue: string | null }): Step[] {
    const steps: Step[] = [];
    if (keep !== "grub" && obs.grub.dropin !== null) {
        steps.push({ op: "remove", target: "dropin" });
        if (obs.grub.updateGrub || obs.grub.grubMkconfig) steps.push({ op: "update-grub" });
    }
    if (keep !== "systemd-unit" && (obs.unit.content !== null || obs.unit.link !== null)) {
        steps.push({ op: "remove", target: "unitlink" }, { op: "remove", target: "unit" });
        if (obs.systemd) steps.push({ op: "daemon-reload" });
    }
    // /etc/kernel/cmdline is the user's file: only give back the token we set.
    if (keep !== "kernel-cmdline" && recorded.persistence === "kernel-cmdline" && obs.kernelCmdline.content !== null) {
        const content = obs.kernelCmdline.content;
        const restored = setLockdownParam(content, recorded.previousCmdlineValue);
        if (restored !== content) {
            steps.push({ op: "write", target: "kcmdline", content: restored, expect: content });
            if (obs.kernelCmdline.layout === "bls") steps.push({ op: "kernel-install" });
        }
    }
    return steps;
}

/**
 * Steps that bring the host to `want`: mount securityfs if that is all that is missing, raise the
 * live level only when it is below (the kernel refuses anything else), and make the chosen
 * persistence exact. The host also skips a write whose content is already there.
 */
export function planApply(want: Mode, obs: ObservedLockdown, recorded: { persistence?: Persistence; previousCmdlineValue: string | null }): ApplyPlan {
    const k = kernelSupport(obs);
    if ("error" in k) throw new Error(k.error);
    if (!k.available.includes(want)) throw new Error(`this kernel does not offer lockdown level ${want} (it offers ${k.available.join(", ")})`);
    const choice = choosePersistence(obs);
    if ("error" in choice) throw new Error(choice.error);
    const steps: Step[] = [];
    if (k.needsMount) steps.push({ op: "mount" });
    if (rank(k.current) < rank(want)) steps.push({ op: "raise", level: want });
    steps.push(...cleanupSteps(obs, choice.persistence, recorded));
    let previousCmdlineValue: string | null = null;
    switch (choice.persistence) {
        case "grub": {
            const content = renderGrubDropin(want);
            const persisted = persistedState("grub", obs);
            if (obs.grub.dropin !== content) steps.push({ op: "write", target: "dropin", content });
            if (obs.grub.dropin !== content || persisted.mode !== want) steps.push({ op: "update-grub" });
            break;
        }
        case "kernel-cmdline": {
            const content = obs.kernelCmdline.content!;
            previousCmdlineValue = recorded.persistence === "kernel-cmdline" ? recorded.previousCmdlineValue : lockdownParam(content);
            const next = setLockdownParam(content, want);
            if (next !== content) steps.push({ op: "write", target: "kcmdline", content: next, expect: content });
            const bls = obs.kernelCmdline.layout === "bls" && obs.kernelCmdline.kernelInstall;
            if (bls && (next !== content || persistedState("kernel-cmdline", obs).mode !== want)) steps.push({ op: "kernel-install" });
            break;
        }
        case "systemd-unit": {
            const content = renderUnit(want);
            if (obs.unit.content !== content) steps.push({ op: "write", target: "unit", content });
            if (!unitEnabled(obs)) steps.push({ op: "enable" });
            if (obs.unit.content !== content && obs.systemd) steps.push({ op: "daemon-reload" });
            break;
        }
    }
    return { steps, persistence: choice.persistence, lowerNeedsReboot: rank(k.current) > rank(want), current: k.current, previousCmdlineValue };
}

/** Steps that remove the persistence; the live level stays (the kernel cannot lower it). */
export function planDelete(obs: ObservedLockdown, recorded: { persistence?: Persistence; previousCmdlineValue: string | null }): Step[] {
    return cleanupSteps(obs, null, recorded);
}

/** What is not as desired after an apply, or [] when the host is right. */
export function unverified(want: Mode, st: LockdownState): string[] {
    const bad: string[] = [];
    if (rank(st.currentLevel) < rank(want)) bad.push(`the live level is ${st.currentLevel}, wanted ${want}`);
    if (st.persistedMode !== want) bad.push(`${st.persistedIn} gives the next boot ${st.persistedMode ?? "no lockdown level"}, wanted ${want}`);
    return bad;
}

export interface RecordedState {
    mode: Level | null;
    persistence?: Persistence;
    persistedContent: string | null;
    host: string;
    port: number;
}

/**
 * Property changes between what is recorded (or observed) and what is desired. The host identifies
 * the resource, so changing it replaces it. A hand edit of our file that keeps the level still
 * counts (persistedContent), as Sysctl's fileContent does.
 */
export function diffLockdown(old: RecordedState, want: { mode: Mode; host: string; port: number }): PropertyChange[] {
    const changes: PropertyChange[] = [];
    if (old.host !== want.host) changes.push({ path: "connection.host", kind: "update", replace: true });
    if (old.port !== want.port) changes.push({ path: "connection.port", kind: "update", replace: true });
    if (old.mode !== want.mode) changes.push({ path: "mode", kind: old.mode === null ? "add" : "update" });
    if (changes.length === 0 && old.persistence) {
        const expected = renderPersistence(old.persistence, want.mode);
        if (expected !== undefined && old.persistedContent !== expected) {
            changes.push({ path: "persistedContent", kind: old.persistedContent === null ? "add" : "update" });
        }
    }
    return changes;
}

/** Why an update (want = a mode) or a delete (want = "none") cannot take full effect before a reboot, or undefined. */
export function rebootWarning(current: Level, want: Level, persistedIn: string): string | undefined {
    if (rank(current) <= rank(want)) return undefined;
    const head = `lockdown is ${current} now and the kernel can only raise it: it stays ${current} until the next reboot`;
    if (want === "none") return `${head}; ${persistedIn} no longer gives that boot a lockdown level`;
    return `${head}, which starts at ${want} (only ${persistedIn} changes now; rebootRequired is true)`;
}

/** Explains a persistence that does not give the next boot the desired level (shown in previews). */
export function driftWarning(old: { currentLevel?: Level; persistedMode?: Level | null; persistedIn?: string }, want: Mode): string | undefined {
    if (!old.persistedIn || old.currentLevel === undefined) return undefined;
    if (rank(old.currentLevel) < rank(want)) {
        return `lockdown is ${old.currentLevel} now, below ${want} (for example after a reboot without the persistence); \`pulumi up\` raises it`;
    }
    if (old.persistedMode !== want) {
        return `${old.persistedIn} does not give the next boot lockdown=${want} (found: ${old.persistedMode ?? "nothing"}); \`pulumi up\` restores it`;
    }
    return undefined;
}
