// The boot-configuration module: which boot configuration a host uses, the kernel parameters our
// persistence gives the next boot and what the kernel will actually see, and the steps that write
// or remove exactly our part. Pure functions of an observation (boot/host.ts reads it).
import {
    canonicalName,
    cmdlineFromGrubLinux,
    editCmdline,
    lastValue,
    parseCmdline,
    renderParams,
    sameValue,
    shDoubleQuoted,
} from "../kernel/cmdline";

export const GRUB_DEFAULT = "/etc/default/grub";
export const GRUB_D = "/etc/default/grub.d";
export const KERNEL_CMDLINE = "/etc/kernel/cmdline";

export interface ObservedBoot {
    /** /proc/cmdline: what the running kernel was booted with. */
    cmdline: string;
    grub: {
        /** /etc/default/grub, null when absent. */
        defaultFile: string | null;
        updateGrub: boolean;
        grubMkconfig: boolean;
        /** Every /etc/default/grub.d/*.cfg in the order grub-mkconfig sources them. */
        dropins: Array<{ name: string; content: string }>;
        /** The `linux` lines of grub.cfg; null when it does not exist. */
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
}

export type BootKind = "grub" | "kernel-cmdline";

/** One step of a boot-configuration change; boot.sh's boot_step runs it. */
export type BootStep =
    | { op: "write-dropin"; name: string; content: string }
    | { op: "remove-dropin"; name: string }
    /** `expect`: the content the plan was made from (null: the file was absent), so a concurrent edit is not lost. */
    | { op: "write-kcmdline"; content: string; expect: string | null }
    | { op: "update-grub" }
    | { op: "kernel-install" };

export interface BootChoice {
    kind: BootKind;
    /** The file that holds our parameters. */
    path: string;
}

/**
 * How a host's kernel parameters are configured, in order of preference: GRUB (a drop-in that
 * grub-mkconfig sources, then update-grub), else /etc/kernel/cmdline (kernel-install, systemd-boot).
 */
export function detectBoot(obs: ObservedBoot, dropinName: string): BootChoice | { error: string } {
    const g = obs.grub;
    if ((g.defaultFile !== null || g.updateGrub) && (g.updateGrub || g.grubMkconfig)) return { kind: "grub", path: `${GRUB_D}/${dropinName}` };
    if (obs.kernelCmdline.content !== null) return { kind: "kernel-cmdline", path: KERNEL_CMDLINE };
    const hint = g.defaultFile !== null ? ` (${GRUB_DEFAULT} exists, but neither update-grub nor grub-mkconfig)` : "";
    return { error: `no boot configuration to put kernel parameters in: no GRUB configuration to regenerate${hint} and no ${KERNEL_CMDLINE}` };
}

/** Whether grub.cfg can be regenerated here (update-grub or grub-mkconfig). */
export function canRegenerateGrub(obs: ObservedBoot): boolean {
    return obs.grub.updateGrub || obs.grub.grubMkconfig;
}

/** Our GRUB drop-in: sourced by grub-mkconfig after /etc/default/grub, it appends to GRUB_CMDLINE_LINUX. */
export function renderGrubDropin(owner: string, params: Record<string, string>): string {
    return [
        `# Managed by Pulumi (${owner}). Removed when the resource is deleted;`,
        "# run update-grub after editing it by hand.",
        `GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX ${shDoubleQuoted(renderParams(params))}"`,
        "",
    ].join("\n");
}

/**
 * The parameters a GRUB defaults file assigns to GRUB_CMDLINE_LINUX(_DEFAULT), read as text (never
 * run): each assignment's quoted value with `$GRUB_CMDLINE_LINUX…` references dropped, parsed by
 * the kernel's grammar after the shell's `\"` is undone.
 */
export function paramsInGrubFile(text: string): Array<{ variable: string; name: string; value: string | null }> {
    const out: Array<{ variable: string; name: string; value: string | null }> = [];
    for (const line of text.split("\n")) {
        const m = /^\s*(?:export\s+)?(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(.*)$/.exec(line);
        if (!m) continue;
        let rhs = m[2].trim();
        if (rhs.startsWith('"')) rhs = rhs.slice(1, rhs.lastIndexOf('"') > 0 ? rhs.lastIndexOf('"') : undefined).replace(/\\(["\\$`])/g, "$1");
        else if (rhs.startsWith("'")) rhs = rhs.slice(1, rhs.lastIndexOf("'") > 0 ? rhs.lastIndexOf("'") : undefined);
        rhs = rhs.replace(/\$\{?GRUB_CMDLINE_LINUX(?:_DEFAULT)?\}?/g, " ");
        for (const p of parseCmdline(rhs).params) out.push({ variable: m[1], name: p.name, value: p.value });
    }
    return out;
}

/** The next boot's default command line: grub.cfg's first `linux` line, the bls entry, or /etc/kernel/cmdline. */
export function nextBootCmdline(obs: ObservedBoot, kind: BootKind): string | null {
    if (kind === "grub") {
        const first = (obs.grub.linuxLines ?? []).map(cmdlineFromGrubLinux).find((c) => c !== undefined);
        return first ?? null;
    }
    const k = obs.kernelCmdline;
    if (k.layout === "bls") return k.entries[0]?.options ?? null;
    return k.content;
}

/** Every command line a boot may take (every grub.cfg kernel line, every boot entry). */
function allBootCmdlines(obs: ObservedBoot, kind: BootKind): string[] {
    if (kind === "grub") return (obs.grub.linuxLines ?? []).map(cmdlineFromGrubLinux).filter((c): c is string => c !== undefined);
    const k = obs.kernelCmdline;
    if (k.layout === "bls") return k.entries.map((e) => e.options);
    return k.content === null ? [] : [k.content];
}

export interface ParamReport {
    /** What we persist, as found in our persistence (undefined: missing there). */
    persisted: string | undefined;
    /** The value the next boot's kernel will see (last occurrence wins; undefined: absent; "" a flag). */
    nextBoot: string | undefined;
    /** The value on the running kernel's command line. */
    inForce: string | undefined;
}

export interface Override {
    name: string;
    /** The file that sets it to a value other than ours. */
    file: string;
    value: string;
}

export interface BootReport {
    kind: BootKind;
    path: string;
    /** Content of our drop-in (GRUB) or of /etc/kernel/cmdline; null when missing. */
    content: string | null;
    params: Record<string, ParamReport>;
    /** Parameters set elsewhere in the boot configuration to another value, and who sets them. */
    overriddenBy: Override[];
    /** Every boot entry carries our parameters with our values (after update-grub / kernel-install). */
    inBootEntries: boolean;
}

const flag = (v: string | null | undefined) => (v === undefined ? undefined : v ?? "");

/** What our persistence holds, what the next boot gets and what is in force, for each of `want`. */
export function reportBoot(
    obs: ObservedBoot,
    choice: BootChoice,
    want: Record<string, string>,
    dropinName: string,
): BootReport {
    const ours = choice.kind === "grub" ? obs.grub.dropins.find((d) => d.name === dropinName)?.content ?? null : obs.kernelCmdline.content;
    const persistedText = ours === null ? "" : choice.kind === "grub" ? paramsInGrubFile(ours).map((p) => renderParamRaw(p.name, p.value)).join(" ") : ours;
    const next = nextBootCmdline(obs, choice.kind) ?? "";
    const params: Record<string, ParamReport> = {};
    const overriddenBy: Override[] = [];
    for (const [name, value] of Object.entries(want)) {
        const r: ParamReport = {
            persisted: flag(lastValue(persistedText, name)),
            nextBoot: flag(lastValue(next, name)),
            inForce: flag(lastValue(obs.cmdline, name)),
        };
        params[name] = r;
        if (choice.kind === "grub" && r.persisted !== undefined && !sameValue(r.nextBoot ?? null, value) && r.nextBoot !== undefined) {
            for (const f of grubFilesSetting(obs, name, dropinName)) if (!sameValue(f.value, value)) overriddenBy.push({ name, file: f.file, value: f.value ?? "" });
        }
    }
    const entries = allBootCmdlines(obs, choice.kind);
    const carries = (line: string) => Object.entries(want).every(([n, v]) => tokenPresent(line, n, v));
    const inBootEntries = entries.length > 0 && entries.every(carries);
    return { kind: choice.kind, path: choice.path, content: ours, params, overriddenBy, inBootEntries };
}

function renderParamRaw(name: string, value: string | null): string {
    return value === null ? name : value.includes(" ") ? `${name}="${value}"` : `${name}=${value}`;
}

/** Whether a command line carries `name` with value `v` (anywhere: a later override is reported separately). */
function tokenPresent(line: string, name: string, v: string): boolean {
    const want = canonicalName(name);
    return parseCmdline(line).params.some((p) => canonicalName(p.name) === want && sameValue(p.value, v));
}

type FileValue = { file: string; value: string | null };

/** The GRUB files other than ours that put `name` on the command line. */
function grubFilesSetting(obs: ObservedBoot, name: string, dropinName: string): FileValue[] {
    const want = canonicalName(name);
    const files: Array<{ file: string; text: string }> = [];
    if (obs.grub.defaultFile !== null) files.push({ file: GRUB_DEFAULT, text: obs.grub.defaultFile });
    for (const d of obs.grub.dropins) if (d.name !== dropinName) files.push({ file: `${GRUB_D}/${d.name}`, text: d.content });
    const out: Array<{ file: string; value: string | null }> = [];
    for (const f of files) {
        const hits = paramsInGrubFile(f.text).filter((p) => canonicalName(p.name) === want);
        if (hits.length) out.push({ file: f.file, value: hits[hits.length - 1].value });
    }
    return out;
}

/** The values /etc/kernel/cmdline has for these names before we set them (null: absent), to give back on removal. */
export function previousValues(content: string, names: string[]): Record<string, string | null> {
    return Object.fromEntries(names.map((n) => [n, flag(lastValue(content, n)) ?? null]));
}

export interface PersistPlan {
    steps: BootStep[];
    /** kernel-cmdline: the values to restore on removal (recorded in state). */
    previous: Record<string, string | null>;
}

/**
 * Steps that make our persistence exact: the drop-in written and grub.cfg regenerated (also when
 * grub.cfg lost our parameters), or our tokens in /etc/kernel/cmdline (others kept) and the boot
 * entry regenerated. `recordedPrevious` carries the values found before we first set them.
 */
export function planPersist(
    obs: ObservedBoot,
    choice: BootChoice,
    owner: string,
    dropinName: string,
    want: Record<string, string>,
    recordedPrevious: Record<string, string | null> | undefined,
    dropped: string[] = [],
): PersistPlan {
    const steps: BootStep[] = [];
    if (choice.kind === "grub") {
        const content = renderGrubDropin(owner, want);
        const current = obs.grub.dropins.find((d) => d.name === dropinName)?.content ?? null;
        if (current !== content) steps.push({ op: "write-dropin", name: dropinName, content });
        if (current !== content || !reportBoot(obs, choice, want, dropinName).inBootEntries) steps.push({ op: "update-grub" });
        return { steps, previous: {} };
    }
    const content = obs.kernelCmdline.content ?? "";
    const found = previousValues(content, Object.keys(want));
    const previous: Record<string, string | null> = { ...found, ...(recordedPrevious ?? {}) };
    const set: Record<string, string | null> = { ...want };
    // Names we set before and no longer want go back to what they were.
    for (const n of dropped) set[n] = previous[n] ?? null;
    const next = editCmdline(content, set);
    if (next !== content) steps.push({ op: "write-kcmdline", content: next, expect: obs.kernelCmdline.content });
    const bls = obs.kernelCmdline.layout === "bls" && obs.kernelCmdline.kernelInstall;
    if (bls && (next !== content || !reportBoot(obs, choice, want, dropinName).inBootEntries)) steps.push({ op: "kernel-install" });
    for (const n of dropped) delete previous[n];
    return { steps, previous };
}

/** Steps that remove only what we added: our drop-in, or our tokens (the values from before put back). */
export function planRemove(
    obs: ObservedBoot,
    dropinName: string,
    names: string[],
    previous: Record<string, string | null>,
): BootStep[] {
    const steps: BootStep[] = [];
    if (obs.grub.dropins.some((d) => d.name === dropinName)) {
        steps.push({ op: "remove-dropin", name: dropinName });
        if (canRegenerateGrub(obs)) steps.push({ op: "update-grub" });
    }
    const content = obs.kernelCmdline.content;
    if (content !== null && Object.keys(previous).length) {
        const restored = editCmdline(content, Object.fromEntries(names.map((n) => [n, previous[n] ?? null])));
        if (restored !== content) {
            steps.push({ op: "write-kcmdline", content: restored, expect: content });
            if (obs.kernelCmdline.layout === "bls" && obs.kernelCmdline.kernelInstall) steps.push({ op: "kernel-install" });
        }
    }
    return steps;
}
