// Sysctl inputs, key and value normalisation, and the drop-in file format. Pure functions only.
import { z } from "zod/v4";
import { ConnectionSchema } from "../../ssh/connection";
import type { ConfFile } from "./precedence";

/** Keys the kernel only lets go one way until the next boot, and the value that locks them. */
export const ONE_WAY_KEYS: Record<string, string> = {
    "kernel.kexec_load_disabled": "1",
    "kernel.modules_disabled": "1",
    // Yama refuses any change once ptrace_scope is 3; unprivileged_bpf_disabled=1 cannot be unset.
    "kernel.yama.ptrace_scope": "3",
    "kernel.unprivileged_bpf_disabled": "1",
};

const COMPONENT = /^[A-Za-z0-9_@:+-]+(\.[A-Za-z0-9_@:+-]+)*$/;

/**
 * Canonical dotted form of a sysctl key (sysctl.d(5)): if the first separator is a slash, the key
 * uses slashes and its dots are literal. A literal dot inside a component is written as "/" in the
 * dotted form, as sysctl(8) prints it. Returns undefined for anything that is not a key.
 */
export function normaliseKey(raw: string): NormalKey | undefined {
    if (keyMemo.has(raw)) return keyMemo.get(raw);
    const n = computeKey(raw);
    if (keyMemo.size >= KEY_MEMO_SIZE) keyMemo.clear();
    keyMemo.set(raw, n);
    return n;
}

export type NormalKey = Readonly<{ key: string; procPath: string }>;
// A fleet's resources name the same keys, and one parse of a resource's inputs looks at each key four
// times (read, diff and check each parse them): at N = 50 this function was a tenth of a provider
// process's CPU. Results are frozen, so sharing them is safe; the bound holds host-supplied keys too.
const KEY_MEMO_SIZE = 4096;
const keyMemo = new Map<string, NormalKey | undefined>();

function computeKey(raw: string): NormalKey | undefined {
    const k = raw.trim();
    if (!k || k.length > 512) return undefined;
    const firstSep = k.search(/[./]/);
    if (firstSep <= 0) return undefined;
    const components = k[firstSep] === "/" ? k.split("/") : k.split(".").map((c) => c.replace(/\//g, "."));
    if (components.some((c) => !COMPONENT.test(c) || c === "." || c === "..")) return undefined;
    return Object.freeze({ key: components.map((c) => c.replace(/\./g, "/")).join("."), procPath: components.join("/") });
}

/** Values compare with runs of whitespace folded, as the kernel prints multi-value keys with tabs. */
export function normaliseValue(v: string): string {
    // Most values are one token: no regex split for those.
    return /\s/.test(v) ? v.trim().split(/\s+/).join(" ") : v;
}

// One integer as the kernel's proc_dointvec/proc_doulongvec read it (proc_get_long: an optional
// sign, then strtoul in base 0: 0x hex, a leading 0 octal, else decimal; white space around).
// "+" is refused by the kernel, but read here too: a guard must never be bypassed by a spelling.
const KERNEL_INT = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

/** The integer a token stands for as the kernel parses it, or undefined when it is not one. */
export function kernelInteger(token: string): bigint | undefined {
    const m = KERNEL_INT.exec(token.trim());
    if (!m) return undefined;
    const digits = m[2];
    const n = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits[0] === "0" ? BigInt("0o" + digits.slice(1)) : BigInt(digits);
    return m[1] === "-" ? -n : n;
}

/**
 * A value as the kernel prints it back: when every white-space-separated token is an integer, each
 * in decimal ("01" and "0x1" are 1); anything else as written, white space folded.
 */
export function kernelCanonical(value: string): string {
    const tokens = normaliseValue(value).split(" ");
    const ints = tokens.map(kernelInteger);
    return ints.every((n) => n !== undefined) ? ints.map(String).join(" ") : normaliseValue(value);
}

/** Whether a live value is the desired one: the same text, or the integers the kernel made of it. */
export function sameValue(live: string | null | undefined, want: string): boolean {
    if (live === null || live === undefined) return false;
    const l = normaliseValue(live);
    return l === normaliseValue(want) || l === kernelCanonical(want);
}

/** For a one-way key, whether `value` is (as the kernel parses its first integer) the locking one. */
export function locksOneWay(key: string, value: string): boolean {
    const lock = ONE_WAY_KEYS[key];
    if (lock === undefined) return false;
    const first = kernelInteger(normaliseValue(value).split(" ")[0]);
    return first !== undefined && first === BigInt(lock);
}

const FileName = z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,250}\.conf$/, "must be a plain file name ending in .conf (letters, digits, _ . + -), e.g. 90-hardening.conf");

const Value = z
    .union([z.string(), z.number(), z.boolean()])
    .transform((v) => (typeof v === "boolean" ? (v ? "1" : "0") : String(v)))
    .refine((v) => !/[\n\r\0]/.test(v), "must not contain a newline, carriage return or NUL")
    .refine((v) => normaliseValue(v).length > 0, "must not be empty")
    .refine((v) => v.length <= 4096, "must be at most 4096 characters")
    .transform(normaliseValue);

export const SysctlObject = z
    .object({
        connection: ConnectionSchema,
        file: FileName.describe(
            "File name of the drop-in under /etc/sysctl.d, e.g. `90-hardening.conf`. A plain name ending in `.conf`; changing it replaces the resource.",
        ),
        entries: z
            // Keys are checked by the key schema so a bad key is reported even when a value is bad too.
            .record(
                z.string().refine((k) => normaliseKey(k) !== undefined, {
                    error: (iss) => `${JSON.stringify(iss.input)} is not a sysctl key (expected a dotted name such as kernel.kptr_restrict)`,
                }),
                Value,
                // zod 4 wraps a key's issue in "Invalid key in record": report the key's own message.
                { error: (iss) => (iss.code === "invalid_key" ? iss.issues?.[0]?.message : undefined) },
            )
            .refine((e) => Object.keys(e).length > 0, "must hold at least one key")
            .superRefine((entries, ctx) => {
                const seen = new Map<string, string>();
                for (const raw of Object.keys(entries)) {
                    const n = normaliseKey(raw);
                    if (!n) continue;
                    const dup = seen.get(n.key);
                    if (dup !== undefined) ctx.addIssue({ code: "custom", path: [raw], message: `names the same key as ${JSON.stringify(dup)}` });
                    seen.set(n.key, raw);
                }
            })
            .describe(
                "Sysctl keys and the values to set, e.g. `{\"kernel.kptr_restrict\": \"2\"}`. Keys may be written dotted or with slashes and are normalised; values compare with whitespace folded (`32768\\t60999` equals `32768 60999`).",
            ),
        comment: z
            .string()
            .max(4096)
            .refine((c) => !/[\r\0]/.test(c), "must not contain a carriage return or NUL")
            .optional()
            .describe("A comment written at the top of the file, one `#` line per line of text."),
        /**
         * Allows keys the kernel lets go only one way until reboot (kernel.kexec_load_disabled,
         * kernel.modules_disabled).
         */
        allowOneWayKeys: z.boolean().default(false).describe(
            "Confirms keys that the kernel only lets go one way until reboot (kernel.kexec_load_disabled=1, kernel.modules_disabled=1, kernel.yama.ptrace_scope=3, kernel.unprivileged_bpf_disabled=1). Without it such entries fail at preview.",
        ),
        /** Let `pulumi preview` read the host to show drift (off: previews never connect). */
        previewReadsHost: z.boolean().default(true).describe(
            "Whether `pulumi preview` reads the host to show drift (as the Kubernetes provider reads its cluster). Set false for offline previews.",
        ),
        adopt: z
            .boolean()
            .default(false)
            .describe(
                "Take over `file` when it exists and was not written by this provider (no \"Managed by Pulumi\" header): " +
                    "its content is kept on the host and put back on delete. Without it, such a file is refused and left untouched.",
            ),
    })
    .strict();

export const SysctlInputsSchema = SysctlObject
    .superRefine((inp, ctx) => {
        for (const [raw, value] of Object.entries(inp.entries)) {
            const key = normaliseKey(raw)?.key;
            if (!key) continue;
            // As the kernel parses integers: "01", "0x1" and " 1" lock the key as "1" does.
            if (locksOneWay(key, value) && !inp.allowOneWayKeys) {
                ctx.addIssue({
                    code: "custom",
                    path: ["entries", raw],
                    message:
                        `${key}=${ONE_WAY_KEYS[key]} cannot be undone until the host reboots` +
                        `${value === ONE_WAY_KEYS[key] ? "" : ` (the kernel reads ${JSON.stringify(value)} as ${ONE_WAY_KEYS[key]})`}` +
                        "; set allowOneWayKeys: true to confirm",
                });
            }
        }
    })
    .transform((inp) => {
        const entries: Record<string, string> = {};
        for (const [raw, v] of Object.entries(inp.entries)) {
            const key = normaliseKey(raw)!.key;
            // One-way keys are integers: recorded, written and compared as the kernel prints them.
            entries[key] = ONE_WAY_KEYS[key] !== undefined ? kernelCanonical(v) : v;
        }
        return { ...inp, entries: sortKeys(entries) };
    });

export type SysctlInputs = z.output<typeof SysctlInputsSchema>;

const ValueOrMissing = z.string().nullable();

/** What is recorded in state: the inputs echoed and the outputs (plan.ts SysctlState). */
export const SysctlStateSchema = z.looseObject({
    connection: ConnectionSchema.optional().catch(undefined),
    file: z.string(),
    comment: z.string().optional(),
    /** Observed where they differ from the desired values (null: the key is missing). */
    entries: z.record(z.string(), ValueOrMissing).default({}),
    path: z.string().optional(),
    liveValues: z.record(z.string(), ValueOrMissing).default({}),
    fileContent: z.string().nullable().default(null),
    previousValues: z.record(z.string(), ValueOrMissing).default({}),
    overriddenBy: z.array(z.object({ key: z.string(), file: z.string(), value: z.string() })).default([]),
});

export function sortKeys<T>(m: Record<string, T>): Record<string, T> {
    return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export const DROPIN_DIR = "/etc/sysctl.d";

export function procPath(key: string): string {
    return normaliseKey(key)!.procPath;
}

export const FILE_HEADER = "# Managed by Pulumi (kernelhardening:index:Sysctl). Edits made here are reverted by `pulumi up`.";

/** The exact bytes of the drop-in file for these inputs. */
export function renderFile(inp: Pick<SysctlInputs, "entries" | "comment">): string {
    const lines = [FILE_HEADER];
    if (inp.comment) for (const l of inp.comment.split("\n")) lines.push(("# " + l).trimEnd());
    for (const [k, v] of Object.entries(inp.entries)) lines.push(`${k} = ${v}`);
    return lines.join("\n") + "\n";
}

/** Whether a file was written by this provider, and the comment it carries. */
export function parseOwnFile(text: string): { ours: boolean; comment: string | undefined } {
    const lines = text.split("\n");
    const ours = lines[0] === FILE_HEADER;
    const comment: string[] = [];
    for (const l of lines.slice(ours ? 1 : 0)) {
        if (!l.startsWith("#")) break;
        comment.push(l.replace(/^# ?/, ""));
    }
    return { ours, comment: comment.length ? comment.join("\n") : undefined };
}

export interface ParsedLine {
    key: string;
    value: string;
    /** systemd's "-" prefix: a failure to set this key is ignored. */
    ignoreFailure: boolean;
}

/** Parses sysctl.d(5) syntax; the last assignment of a key wins, as with systemd-sysctl. */
export function parseConf(text: string): Map<string, ParsedLine> {
    const out = new Map<string, ParsedLine>();
    for (const raw of text.split("\n")) {
        let line = raw.trim();
        if (!line || line.startsWith("#") || line.startsWith(";")) continue;
        let ignoreFailure = false;
        if (line.startsWith("-")) {
            ignoreFailure = true;
            line = line.slice(1).trim();
        }
        const eq = line.indexOf("=");
        if (eq < 0) continue;
        const n = normaliseKey(line.slice(0, eq));
        if (!n) continue;
        out.set(n.key, { key: n.key, value: normaliseValue(line.slice(eq + 1)), ignoreFailure });
    }
    return out;
}

// What observe and apply exchange with the host (host.ts) and planning (plan.ts) works on.
/** What the script does with an existing file that is not ours (no header): see lib.sh's W record. */
export type Takeover = "own" | "new" | "adopt";

export interface ObservedSysctl {
    /** Content of our drop-in, or null when the file does not exist. */
    file: string | null;
    /** Live value per key (raw, as the kernel prints it); null when the key cannot be read. */
    live: Record<string, string | null>;
    confFiles: ConfFile[];
    /** After an apply: the live value each key had before the apply changed it. */
    before: Record<string, string>;
    /** Values recorded on the host before this resource first changed each key. */
    prev: Record<string, string>;
}

export interface SetStep {
    key: string;
    /** Ensured live: written only when the live value differs. */
    value: string;
}

export interface ApplyPlan {
    file: string;
    /** File content to ensure (written only when it differs), "delete" to remove it, or undefined to leave it alone. */
    content?: string | "delete";
    sets: SetStep[];
    /** Keys to report on afterwards. */
    keys: string[];
}
