// Lockdown inputs, levels, the files this resource owns and their exact content, and the kernel
// command-line token edit. Pure functions only.
import { z } from "zod/v4";
import { ConnectionSchema } from "../../ssh/connection";
import { canonicalName, editCmdline, parseCmdline } from "../../kernel/cmdline";
import { renderGrubDropin as renderBootDropin } from "../../boot/model";
import { isLevel, Level, Mode } from "../../kernel/lockdown";

export { LEVELS, rank, isLevel, parseLockdownFile, parseLsmList } from "../../kernel/lockdown";
export type { Level, Mode, LockdownFile } from "../../kernel/lockdown";

export const SECURITYFS = "/sys/kernel/security";
export const LOCKDOWN_FILE = `${SECURITYFS}/lockdown`;
export const LOCKDOWN_DROPIN_NAME = "90-kernelhardening-lockdown.cfg";
export const GRUB_DROPIN = `/etc/default/grub.d/${LOCKDOWN_DROPIN_NAME}`;
export const GRUB_CFG = "/boot/grub/grub.cfg";
export const KERNEL_CMDLINE = "/etc/kernel/cmdline";
export const UNIT_NAME = "kernelhardening-lockdown.service";
export const UNIT_FILE = `/etc/systemd/system/${UNIT_NAME}`;
export const UNIT_WANTS_LINK = `/etc/systemd/system/sysinit.target.wants/${UNIT_NAME}`;

export type Persistence = "grub" | "kernel-cmdline" | "systemd-unit";

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

const HEADER = "Managed by Pulumi (kernelhardening:index:Lockdown).";

/** The GRUB drop-in (the boot-configuration module's): sourced by grub-mkconfig after /etc/default/grub, it appends to what is set there. */
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
export function cmdlineTokens(text: string): { tokens: Array<{ start: number; end: number; name: string; value: string | undefined }>; kernelEnd: number } {
    const p = parseCmdline(text);
    return { tokens: p.params.map((t) => ({ ...t, name: canonicalName(t.name), value: t.value ?? undefined })), kernelEnd: p.kernelEnd };
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
    return editCmdline(text, { lockdown: value });
}
