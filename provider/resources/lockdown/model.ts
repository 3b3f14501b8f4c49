// Lockdown inputs, levels, the files this resource owns and their exact content, and the kernel
// command-line token edit. Pure functions only.
import { z } from "zod/v4";
import { ConnectionSchema } from "../../ssh/connection";
import { canonicalName, editCmdline, parseCmdline } from "../../kernel/cmdline";
import { ObservedBoot, renderGrubDropin as renderBootDropin } from "../../boot/model";
import { isLevel, Level, LEVELS, Mode } from "../../kernel/lockdown";

export { rank, isLevel, parseLockdownFile, parseLsmList } from "../../kernel/lockdown";
export type { Level, Mode } from "../../kernel/lockdown";

export const SECURITYFS = "/sys/kernel/security";
export const LOCKDOWN_FILE = `${SECURITYFS}/lockdown`;
export const LOCKDOWN_DROPIN_NAME = "90-kernelhardening-lockdown.cfg";
export const GRUB_DROPIN = `/etc/default/grub.d/${LOCKDOWN_DROPIN_NAME}`;
export const KERNEL_CMDLINE = "/etc/kernel/cmdline";
export const UNIT_NAME = "kernelhardening-lockdown.service";
export const UNIT_FILE = `/etc/systemd/system/${UNIT_NAME}`;

export const PersistenceSchema = z.enum(["grub", "kernel-cmdline", "systemd-unit"]);
export type Persistence = z.output<typeof PersistenceSchema>;

export const LockdownObject = z
    .object({
        connection: ConnectionSchema,
        mode: z
            .enum(["integrity", "confidentiality"], {
                error: 'must be "integrity" or "confidentiality" (the kernel cannot be set to "none" at run time: delete the resource and reboot instead)',
            })
            .meta({
                pulumiType: "LockdownMode",
                typeDescription: "A Lockdown level the kernel can be raised to at run time.",
            })
            .describe(
                "The lockdown level to hold: `integrity` blocks changes to the running kernel from userspace (unsigned modules, kexec of unsigned kernels, /dev/mem, hibernation, MSR writes and the other operations listed in kernel_lockdown(7)); `confidentiality` also blocks reading kernel memory (kprobes, perf and eBPF reads of kernel memory, /proc/kcore), which stops most run-time debugging. The kernel only lets the level go up until the next boot: asking for a lower level than the one in force changes only the persistence and sets rebootRequired.",
            ),
        /** Let `pulumi preview` read the host to show drift (off: previews never connect). */
        previewReadsHost: z
            .boolean()
            .default(true)
            .describe(
                "Whether `pulumi preview` reads the host to show drift (a level found lower after a reboot, a persistence removed by hand). Set false for offline previews.",
            ),
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

const HEADER = "Managed by Pulumi (kernelhardening:index:Lockdown).";

/**
 * The GRUB drop-in (the boot-configuration module's): sourced by grub-mkconfig after /etc/default/grub, it appends
 * to what is set there.
 */
export function renderGrubDropin(mode: Mode): string {
    return renderBootDropin("kernelhardening:index:Lockdown", { lockdown: mode });
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

/** The kernel's tokens of a command line (see kernel/cmdline.ts) and where its part ends. */
export function cmdlineTokens(text: string): {
    tokens: Array<{ start: number; end: number; name: string; value: string | undefined }>;
    kernelEnd: number;
} {
    const p = parseCmdline(text);
    return {
        tokens: p.params.map((t) => ({ ...t, name: canonicalName(t.name), value: t.value ?? undefined })),
        kernelEnd: p.kernelEnd,
    };
}

/**
 * The value of the last `lockdown=` on a command line (the kernel applies each; the highest wins, and we write only
 * one).
 */
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
    return editCmdline(text, { lockdown: value });
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
    kernelCmdline: ObservedBoot["kernelCmdline"];
    unit: { content: string | null; link: string | null };
    systemd: boolean;
    /** After an apply: what it changed, in order (e.g. "mounted", "raised none", "wrote grub"). */
    actions: string[];
    /** The boot configuration as the shared module reads it (the fields above are Lockdown's view of it). */
    boot?: ObservedBoot;
}

export type Target = "dropin" | "unit" | "kcmdline";

/** One step of an apply; the host runs them in this order. */
export type Step =
    | { op: "mount" }
    /** Ensured: written only when the live level is below it. */
    | { op: "raise"; level: Mode }
    /**
     * Written only when the content differs; `expect` guards a file we share with the user against a concurrent
     * edit.
     */
    | { op: "write"; target: Target; content: string; expect?: string | null }
    | { op: "remove"; target: Target | "unitlink" }
    | { op: "enable" }
    | { op: "daemon-reload" }
    | { op: "update-grub" }
    | { op: "kernel-install" };
