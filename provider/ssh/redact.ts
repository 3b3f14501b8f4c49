// Last line of defence for every message that leaves the provider (errors returned to the engine,
// log lines): no secret value in clear, and no terminal control sequence that a host sent.

/** Every secret the provider has been given (connection credentials), whatever their length. */
const registered = new Set<string>();

export function registerSecret(s: string | undefined): void {
    if (s) registered.add(s);
}

/** C0 (but TAB and LF, unless `all`), DEL, C1, and the bidirectional overrides that reorder text. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(ch: string): string {
    const n = ch.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
}

/** Control characters as visible escapes (`\x1b`), so host text cannot drive the operator's terminal. */
export function escapeControl(s: string, all = false): string {
    return s.replace(all ? CONTROL_ALL : CONTROL, escapeOne);
}

export function scrubSecrets(message: string, secrets: Iterable<string | undefined>): string {
    // Longest first, so a secret that contains another one is replaced whole; the escaped form too,
    // for a secret a host echoed back into text that was escaped before it got here.
    const list = [...new Set([...secrets].filter((s): s is string => !!s))].sort((a, b) => b.length - a.length);
    let out = message;
    for (const s of list) {
        out = out.split(s).join("[secret]");
        const escaped = escapeControl(s, true);
        if (escaped !== s) out = out.split(escaped).join("[secret]");
    }
    return out;
}

/** What every message goes through on its way out (protocol/server.ts errors, protocol/engine.ts logs). */
export function sanitize(message: string): string {
    return escapeControl(scrubSecrets(message, registered));
}

/**
 * Remote stderr as it may appear inside a message: control characters escaped, the last `lines`
 * lines joined on one line, at most `max` characters (the end kept: that is where the error is).
 */
export function trimRemote(text: string, lines = 3, max = 500): string {
    const kept = text.trim().split(/\r?\n/).slice(-lines).map((l) => escapeControl(l.trim(), true)).join(" | ");
    return kept.length > max ? "…" + kept.slice(kept.length - max) : kept;
}
