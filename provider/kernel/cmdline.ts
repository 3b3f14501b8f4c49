// The kernel command line: one parser (the kernel's own grammar, lib/cmdline.c next_arg() and
// kernel/params.c parse_args()), GRUB's word splitting and loader quoting for the `linux` lines of
// grub.cfg, the rules a parameter we write must follow, and how it is written for each boot loader.
// Pure functions only.

/** One parameter as the kernel sees it. `value` null: a bare flag (no `=`). */
export interface CmdlineParam {
    /** As written, quotes removed the way the kernel removes them. */
    name: string;
    value: string | null;
    /** Position of the raw token in the text (for in-place edits). */
    start: number;
    end: number;
}

export interface ParsedCmdline {
    /** The kernel's parameters, in order; those after a bare `--` go to init and are not here. */
    params: CmdlineParam[];
    /** Offset where the kernel's part ends (the start of `--`, or the text's length). */
    kernelEnd: number;
    /** Whatever follows `--` (init's arguments), trimmed. */
    initArgs: string;
}

// The kernel's isspace(): space, \t, \n, \v, \f, \r.
const isSpace = (c: string | undefined) => c !== undefined && /[ \t\n\v\f\r]/.test(c);

/**
 * Splits a command line exactly as the kernel does: a token runs to the first whitespace outside
 * double quotes; the name ends at the first `=`; a value that starts with `"` loses that quote and
 * a closing one at the token's end; a token that starts with `"` loses it and a closing one. A bare
 * `--` (unquoted or quoted) ends the kernel's parameters.
 */
export function parseCmdline(text: string): ParsedCmdline {
    const params: CmdlineParam[] = [];
    let i = 0;
    const skip = () => {
        while (isSpace(text[i])) i++;
    };
    skip();
    while (i < text.length) {
        const start = i;
        let quoted = false;
        let inQuote = false;
        if (text[i] === '"') {
            quoted = inQuote = true;
            i++;
        }
        const argStart = i;
        let equals = -1;
        for (; i < text.length; i++) {
            if (isSpace(text[i]) && !inQuote) break;
            // As in C, an `=` at the token's first position does not count (equals == 0 means none).
            if (equals < 0 && text[i] === "=" && i > argStart) equals = i;
            if (text[i] === '"') inQuote = !inQuote;
        }
        const end = i;
        let token = text.slice(argStart, end);
        let name: string;
        let value: string | null = null;
        if (equals < 0) {
            if (quoted && token.endsWith('"')) token = token.slice(0, -1);
            name = token;
        } else {
            name = text.slice(argStart, equals);
            value = text.slice(equals + 1, end);
            let cut = false;
            if (value.startsWith('"')) {
                value = value.slice(1);
                if (text[end - 1] === '"' && value.length > 0) {
                    value = value.slice(0, -1);
                    cut = true;
                } else if (text[end - 1] === '"' && end - 1 === equals + 1) {
                    // `a="` : the opening quote is also the last character; the kernel blanks it.
                    cut = true;
                }
            }
            if (quoted && !cut && end > argStart && text[end - 1] === '"') value = value.slice(0, -1);
        }
        if (value === null && name === "--") {
            return { params, kernelEnd: start, initArgs: text.slice(end).trim() };
        }
        params.push({ name, value, start, end });
        if (i < text.length) i++;
        skip();
    }
    return { params, kernelEnd: text.length, initArgs: "" };
}

/** The kernel compares names with `-` and `_` equal (parameq()); this is the form we compare by. */
export function canonicalName(name: string): string {
    return name.replace(/-/g, "_");
}

/** The value of the last occurrence of `name` on a command line: the one that takes effect. undefined: absent. */
export function lastValue(text: string, name: string): string | null | undefined {
    const want = canonicalName(name);
    let found: string | null | undefined;
    for (const p of parseCmdline(text).params) if (canonicalName(p.name) === want) found = p.value;
    return found;
}

// ---- What we write -------------------------------------------------------------------------------

/**
 * Names: letters, digits, `_`, `-` and `.` (a module parameter is `module.param`), starting with a
 * letter or digit, so no name is `--`, holds `=`, whitespace or a quote, or starts an option.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/**
 * Value characters: none that the shell (GRUB drop-ins are sourced by sh), GRUB's script lexer
 * (grub.cfg), GRUB's loader quoting (which backslash-escapes `"`, `'` and `\`, which the kernel does
 * not undo) or the kernel's quoting give a meaning. Spaces only between words: such a value is
 * written in the kernel's double quotes.
 */
const VALUE_WORD = "[A-Za-z0-9_.,:=+/@%-]+";
const VALUE = new RegExp(`^(${VALUE_WORD}( +${VALUE_WORD})*)?$`);

/** The kernel's COMMAND_LINE_SIZE on x86 (and most architectures) is 2048, including what is there already. */
export const MAX_PARAMS_LENGTH = 1024;

/** Parameters other resources or the boot loader own. */
const RESERVED: Record<string, string> = {
    lockdown: "is managed by the Lockdown resource",
    BOOT_IMAGE: "is set by the boot loader",
    root: "is set by the boot configuration (the root file system), not by this resource",
    initrd: "is set by the boot loader",
};

/** Why `name` cannot be a parameter we write, or undefined. */
export function nameError(name: string): string | undefined {
    if (!NAME.test(name)) {
        return `${JSON.stringify(name)} is not a kernel parameter name (letters, digits, _ - and ., starting with a letter or digit, at most 128)`;
    }
    const reserved = RESERVED[canonicalName(name)] ?? RESERVED[name];
    if (reserved) return `${name} ${reserved}`;
    return undefined;
}

/** Why `value` cannot be written for a parameter, or undefined. "" is a bare flag. */
export function valueError(value: string): string | undefined {
    if (value.length > 512) return "must be at most 512 characters";
    if (!VALUE.test(value)) {
        if (/[\n\r\0]/.test(value)) return "must not contain a newline, carriage return or NUL";
        if (/^\s|\s$/.test(value)) return "must not start or end with whitespace";
        const bad = [...value].find((c) => !/[A-Za-z0-9_.,:=+/@% -]/.test(c));
        return `must not contain ${JSON.stringify(bad ?? " ")}: only letters, digits, spaces and _ . , : = + / @ % - are allowed (nothing the shell, GRUB or the kernel's quoting would interpret)`;
    }
    return undefined;
}

/** The token the kernel must receive: `name`, `name=value`, or `name="a b"` for a value with spaces. */
export function renderParam(name: string, value: string): string {
    if (value === "") return name;
    return value.includes(" ") ? `${name}="${value}"` : `${name}=${value}`;
}

/** Parameters in a stable order (by name) as one command-line fragment. */
export function renderParams(params: Record<string, string>): string {
    return Object.keys(params)
        .sort()
        .map((k) => renderParam(k, params[k]))
        .join(" ");
}

/** The same fragment inside a double-quoted sh string (GRUB drop-ins): only our quotes need escaping. */
export function shDoubleQuoted(fragment: string): string {
    return fragment.replace(/"/g, '\\"');
}

/** Whether a parsed value is what `want` means; for `want` "" (a bare flag) both a flag and an empty value count. */
export function sameValue(found: string | null | undefined, want: string): boolean {
    if (found === undefined) return false;
    return want === "" ? found === null || found === "" : found === want;
}

// ---- GRUB: grub.cfg `linux` lines ---------------------------------------------------------------

/**
 * GRUB's script lexer for a `linux` command line, as far as grub-mkconfig output goes: words split
 * at unquoted blanks; "..." (with \" \\ \$ escapes) and '...' quote; a backslash outside quotes
 * escapes the next character. Variables are left as written (grub-mkconfig does not emit any).
 */
export function grubWords(line: string): string[] {
    const words: string[] = [];
    let cur = "";
    let inWord = false;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === " " || c === "\t") {
            if (inWord) words.push(cur);
            cur = "";
            inWord = false;
            continue;
        }
        inWord = true;
        if (c === "\\" && i + 1 < line.length) {
            cur += line[++i];
        } else if (c === '"') {
            for (i++; i < line.length && line[i] !== '"'; i++) {
                if (line[i] === "\\" && /["\\$]/.test(line[i + 1] ?? "")) i++;
                cur += line[i];
            }
        } else if (c === "'") {
            for (i++; i < line.length && line[i] !== "'"; i++) cur += line[i];
        } else {
            cur += c;
        }
    }
    if (inWord) words.push(cur);
    return words;
}

/** grub_create_loader_cmdline(): words joined by spaces; one with a space in double quotes; `\ ' "` escaped. */
export function grubLoaderCmdline(words: string[]): string {
    return words
        .map((w) => {
            const esc = w.replace(/[\\'"]/g, (c) => `\\${c}`);
            return w.includes(" ") ? `"${esc}"` : esc;
        })
        .join(" ");
}

/** The command line the kernel receives from a grub.cfg `linux PATH ARGS…` line (x86: BOOT_IMAGE=PATH first). */
export function cmdlineFromGrubLinux(line: string): string | undefined {
    const words = grubWords(line.trim());
    if (!/^linux(16|efi)?$/.test(words[0] ?? "") || words.length < 2) return undefined;
    return "BOOT_IMAGE=" + grubLoaderCmdline(words.slice(1));
}

// ---- /etc/kernel/cmdline: edit tokens in place ---------------------------------------------------

/**
 * The text with the parameters in `set` given these values (null: removed) and every other byte
 * kept: the first occurrence is replaced in place, later ones dropped, new ones appended to the
 * kernel's part (before a ` -- ` that starts init's arguments). `value` "" writes a bare flag.
 */
export function editCmdline(text: string, set: Record<string, string | null>): string {
    let out = text;
    const wanted = new Map(Object.entries(set).map(([k, v]) => [canonicalName(k), { name: k, value: v }]));
    const { params } = parseCmdline(text);
    const seen = new Set<string>();
    const edits: Array<{ start: number; end: number; with: string | null }> = [];
    for (const p of params) {
        const w = wanted.get(canonicalName(p.name));
        if (!w) continue;
        const first = !seen.has(canonicalName(p.name));
        seen.add(canonicalName(p.name));
        const replacement = first && w.value !== null ? renderParam(w.name, w.value) : null;
        edits.push({ start: p.start, end: p.end, with: replacement });
    }
    // From the end, so earlier positions stay valid.
    for (const e of edits.reverse()) {
        if (e.with !== null) {
            out = out.slice(0, e.start) + e.with + out.slice(e.end);
            continue;
        }
        let s = e.start;
        let end = e.end;
        while (s > 0 && /[ \t]/.test(out[s - 1])) s--;
        if (s === 0 || out[s - 1] === "\n") {
            s = e.start;
            while (end < out.length && /[ \t]/.test(out[end])) end++;
        }
        out = out.slice(0, s) + out.slice(end);
    }
    const added = [...wanted.entries()]
        .filter(([k, w]) => !seen.has(k) && w.value !== null)
        .map(([, w]) => renderParam(w.name, w.value!));
    if (added.length) {
        const kernelEnd = parseCmdline(out).kernelEnd;
        let at = kernelEnd;
        while (at > 0 && isSpace(out[at - 1])) at--;
        const tail = out.slice(at);
        const sep = at > 0 ? " " : "";
        const after = kernelEnd < out.length && !/^\s/.test(tail) ? " " : "";
        out = out.slice(0, at) + sep + added.join(" ") + after + tail;
        if (text.length === 0) out += "\n";
    }
    return out;
}
