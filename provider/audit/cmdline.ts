// The one parser of the kernel command line in the audit (the KernelCmdline resource has its own for
// now; keep this the only function here so the two can be unified).

/** A parameter's value: the text after `=`, or true when given bare. */
export type CmdValue = string | true;

/**
 * Parses a kernel command line the way the kernel's parse_args() does: whitespace separates
 * parameters except inside double quotes (which are dropped), `-` and `_` in a name are the same,
 * and everything after a bare `--` belongs to init. `foo=bar` -> "bar", `foo` -> true; last one wins.
 */
export function parseCmdline(cmdline: string): Map<string, CmdValue> {
    const out = new Map<string, CmdValue>();
    for (const token of splitArgs(cmdline)) {
        if (token === "--") break;
        const eq = token.indexOf("=");
        const name = (eq < 0 ? token : token.slice(0, eq)).replace(/-/g, "_");
        if (!name) continue;
        out.set(name, eq < 0 ? true : token.slice(eq + 1));
    }
    return out;
}

function splitArgs(s: string): string[] {
    const tokens: string[] = [];
    let current = "";
    let inQuotes = false;
    let started = false;
    for (const ch of s) {
        if (ch === '"') {
            inQuotes = !inQuotes;
            started = true;
        } else if (!inQuotes && /\s/.test(ch)) {
            if (started) tokens.push(current);
            current = "";
            started = false;
        } else {
            current += ch;
            started = true;
        }
    }
    if (started) tokens.push(current);
    return tokens;
}
