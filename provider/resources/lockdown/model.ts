// Lockdown inputs, levels, the files this resource owns and their exact content, and the kernel
// command-line token edit. Pure functions only.
import { z } from "zod/v4";
import { ConnectionSchema } from "../../ssh/connection";

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

export const SECURITYFS = "/sys/kernel/security";
export const LOCKDOWN_FILE = `${SECURITYFS}/lockdown`;
export const GRUB_DROPIN = "/etc/default/grub.d/90-kernelhardening-lockdown.cfg";
export const GRUB_CFG = "/boot/grub/grub.cfg";
export const KERNEL_CMDLINE = "/etc/kernel/cmdline";
export const UNIT_NAME = "kernelhardening-lockdown.service";
export const UNIT_FILE = `/etc/systemd/system/${UNIT_NAME}`;
export const UNIT_WANTS_LINK = `/etc/systemd/system/sysinit.target.wants/${UNIT_NAME}`;

export const PersistenceSchema = z.enum(["grub", "kernel-cmdline", "systemd-unit"]);
export type Persistence = z.output<typeof PersistenceSchema>;

export const LockdownObject = z
    .object({
        connection: ConnectionSchema,
        mode: z.enum(["integrity", "confidentiality"], {
            error: 'must be "integrity" or "confidentiality" (the kernel cannot be set to "none" at run time: delete the resource and reboot instead)',
        }),
        /** Let `pulumi preview` read the host to show drift (off: previews never connect). */
        previewReadsHost: z.boolean().default(true),
    })
    .strict();

export const LockdownInputsSchema = LockdownObject;
export type LockdownInputs = z.output<typeof LockdownInputsSchema>;

const LevelSchema = z.enum(LEVELS);

/** What is recorded in state: the inputs echoed and the outputs (plan.ts LockdownState). */
export const LockdownStateSchema = z.looseObject({
    connection: ConnectionSchema.optional().catch(undefined),
    /** After a refresh that found the persistence gone, the level found, which may be "none". */
    mode: LevelSchema.nullable().catch(null),
    currentLevel: LevelSchema.optional().catch(undefined),
    persistence: PersistenceSchema.optional(),
    persistedIn: z.string().optional(),
    persistedMode: LevelSchema.nullable().default(null),
    persistedContent: z.string().nullable().default(null),
    cmdline: z.string().optional(),
    rebootRequired: z.boolean().optional(),
    lsms: z.array(z.string()).optional(),
    securityfsMounted: z.boolean().optional(),
    previousCmdlineValue: z.string().nullable().default(null),
});

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

const HEADER = "Managed by Pulumi (kernelhardening:index:Lockdown).";

/** The GRUB drop-in: sourced by grub-mkconfig after /etc/default/grub, so it appends to whatever is set there. */
export function renderGrubDropin(mode: Mode): string {
    return [
        `# ${HEADER} Removed when the resource is deleted;`,
        "# run update-grub after editing it by hand.",
        `GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX lockdown=${mode}"`,
        "",
    ].join("\n");
}

/**
 * The boot-time unit for hosts without a boot configuration we can edit. It runs before
 * sysinit.target (so before most of userspace) and writes the level only when it is not already in
 * force, since the kernel refuses a write of the current or a lower level. `$$` is systemd's `$`.
 */
export function renderUnit(mode: Mode): string {
    const inForce = mode === "integrity" ? `*"[integrity]"*|*"[confidentiality]"*` : `*"[confidentiality]"*`;
    return [
        "# " + HEADER + " Removed when the resource is deleted.",
        "[Unit]",
        `Description=Kernel lockdown: ${mode}`,
        "DefaultDependencies=no",
        "Before=sysinit.target systemd-modules-load.service",
        `ConditionPathExists=${LOCKDOWN_FILE}`,
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=/bin/sh -c 'case "$$(cat ${LOCKDOWN_FILE})" in ${inForce}) ;; *) echo ${mode} > ${LOCKDOWN_FILE} ;; esac'`,
        "",
        "[Install]",
        "WantedBy=sysinit.target",
        "",
    ].join("\n");
}

/** The exact content this resource writes at `persistedIn`; undefined where it only edits a token. */
export function renderPersistence(p: Persistence, mode: Mode): string | undefined {
    if (p === "grub") return renderGrubDropin(mode);
    if (p === "systemd-unit") return renderUnit(mode);
    return undefined;
}

/** The level a file of ours sets, read back from its content (a hand edit may have changed it). */
export function modeInDropin(text: string): Level | null {
    let found: Level | null = null;
    for (const line of text.split("\n")) {
        if (/^\s*#/.test(line)) continue;
        for (const m of line.matchAll(/(?:^|[\s"'])lockdown=([A-Za-z]+)/g)) found = isLevel(m[1]) ? m[1] : null;
    }
    return found;
}

export function modeInUnit(text: string): Mode | null {
    const m = /^ExecStart=.*\becho (integrity|confidentiality) > \/sys\/kernel\/security\/lockdown\b/m.exec(text);
    return m ? (m[1] as Mode) : null;
}

interface Token {
    start: number;
    end: number;
    name: string;
    value: string | undefined;
}

/**
 * Splits a kernel command line as the kernel's parse_args() does: whitespace separates parameters
 * except inside double quotes, and a bare `--` ends the kernel's part (the rest goes to init).
 * Returns the kernel's tokens with their positions, and where the kernel's part ends.
 */
export function cmdlineTokens(text: string): { tokens: Token[]; kernelEnd: number } {
    const tokens: Token[] = [];
    let i = 0;
    while (i < text.length) {
        while (i < text.length && /\s/.test(text[i])) i++;
        if (i >= text.length) break;
        const start = i;
        let quoted = false;
        while (i < text.length && (quoted || !/\s/.test(text[i]))) {
            if (text[i] === '"') quoted = !quoted;
            i++;
        }
        const raw = text.slice(start, i).replace(/"/g, "");
        if (raw === "--" && text.slice(start, i) === "--") return { tokens, kernelEnd: start };
        const eq = raw.indexOf("=");
        tokens.push({ start, end: i, name: (eq < 0 ? raw : raw.slice(0, eq)).replace(/-/g, "_"), value: eq < 0 ? undefined : raw.slice(eq + 1) });
    }
    return { tokens, kernelEnd: text.length };
}

/** The value of the last `lockdown=` on a command line (the kernel applies each; the highest wins, and we write only one). */
export function lockdownParam(cmdline: string): string | null {
    const t = cmdlineTokens(cmdline).tokens.filter((x) => x.name === "lockdown" && x.value !== undefined);
    return t.length ? t[t.length - 1].value! : null;
}

/**
 * /etc/kernel/cmdline with its lockdown= token set to `value` (null: removed). Every other byte is
 * kept: the first lockdown= token is replaced in place, any later ones are dropped, and a new token
 * goes at the end of the kernel's part (before a ` -- ` that starts init's arguments).
 */
export function setLockdownParam(text: string, value: string | null): string {
    const { tokens, kernelEnd } = cmdlineTokens(text);
    const ours = tokens.filter((t) => t.name === "lockdown");
    let out = text;
    // Edit from the end so earlier positions stay valid.
    for (let k = ours.length - 1; k >= 0; k--) {
        const t = ours[k];
        if (k === 0 && value !== null) {
            out = out.slice(0, t.start) + `lockdown=${value}` + out.slice(t.end);
            continue;
        }
        // Drop the token with the whitespace before it (or after it, when it comes first).
        let s = t.start;
        let e = t.end;
        while (s > 0 && /[ \t]/.test(out[s - 1])) s--;
        if (s === 0 || out[s - 1] === "\n") {
            s = t.start;
            while (e < out.length && /[ \t]/.test(out[e])) e++;
        }
        out = out.slice(0, s) + out.slice(e);
    }
    if (ours.length === 0 && value !== null) {
        // Insert after the last character of the kernel's part that is not whitespace.
        let at = kernelEnd;
        while (at > 0 && /\s/.test(out[at - 1])) at--;
        const sep = at > 0 ? " " : "";
        const tail = out.slice(at);
        out = out.slice(0, at) + `${sep}lockdown=${value}` + (kernelEnd < text.length && !/^\s/.test(tail) ? " " : "") + tail;
        if (text.length === 0) out += "\n";
    }
    return out;
}

// What observe and apply exchange with the host (host.ts) and planning (plan.ts) works on.
export interface ObservedLockdown {
    kernelRelease: string;
    securityfs: "mounted" | "unmounted" | "unsupported";
    /** /sys/kernel/security/lockdown, null when it does not exist. */
    lockdownFile: string | null;
    /** /sys/kernel/security/lsm, null when it does not exist. */
    lsmFile: string | null;
    /** Why securityfs could not be read in a private mount namespace (only when it is not mounted). */
    peekError: string | null;
    cmdline: string;
    grub: {
        defaultFile: boolean;
        updateGrub: boolean;
        grubMkconfig: boolean;
        dropin: string | null;
        /** The `linux` lines of /boot/grub/grub.cfg; null when the file does not exist. */
        linuxLines: string[] | null;
    };
    kernelCmdline: {
        content: string | null;
        kernelInstall: boolean;
        /** `kernel-install inspect`'s KERNEL_INSTALL_LAYOUT, null when unknown. */
        layout: string | null;
        /** The options line of each boot loader entry of the running kernel (layout bls only). */
        entries: Array<{ path: string; options: string }>;
    };
    unit: { content: string | null; link: string | null };
    systemd: boolean;
    /** After an apply: what it changed, in order (e.g. "mounted", "raised none", "wrote grub"). */
    actions: string[];
}

export type Target = "dropin" | "unit" | "kcmdline";

/** One step of an apply; the host runs them in this order. */
export type Step =
    | { op: "mount" }
    /** Ensured: written only when the live level is below it. */
    | { op: "raise"; level: Mode }
    /** Written only when the content differs; `expect` guards a file we share with the user against a concurrent edit. */
    | { op: "write"; target: Target; content: string; expect?: string | null }
    | { op: "remove"; target: Target | "unitlink" }
    | { op: "enable" }
    | { op: "daemon-reload" }
    | { op: "update-grub" }
    | { op: "kernel-install" };
