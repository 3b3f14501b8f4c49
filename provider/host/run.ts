// Runs one of our constant scripts on a host: as root, through `sudo -n`, or through `sudo -S` with
// connection.sudoPassword on stdin; and turns what sudo and the host lock say into clear errors.
import { Connection, endpoint, usesSudo } from "../ssh/connection";
import { ExecResult, HostError, pool } from "../ssh/pool";
import { escapeControl, trimRemote } from "../ssh/redact";

/** What `sudo -S` prints when it wants the password (-p), and what the script prints once it runs as root. */
const SUDO_PROMPT = "[kernelhardening-sudo-password]";
const SUDO_READY = "[kernelhardening-sudo-ok]";
/** Remote stderr handed to callers for their messages: its end, control characters escaped. */
const STDERR_FOR_MESSAGES = 2000;

/** Single-quotes a constant script for the remote login shell. Only ever called on our own scripts. */
export function shellQuote(s: string): string {
    return "'" + s.replace(/'/g, "'\\''") + "'";
}

/** The command line for a constant script; nothing but the script's own text is ever in it. */
export function commandFor(c: Connection, script: string): string {
    if (!usesSudo(c)) return `/bin/sh -c ${shellQuote(script)}`;
    if (c.sudoPassword === undefined) return `sudo -n -- /bin/sh -c ${shellQuote(script)}`;
    // stdin is held back until the script says it runs (host/run.ts's gate): sudo reads the
    // password from it only when it asks, and a NOPASSWD rule never sees the password.
    return `sudo -S -p ${shellQuote(SUDO_PROMPT)} -- /bin/sh -c ${shellQuote(`printf '%s\\n' '${SUDO_READY}' >&2\n${script}`)}`;
}

/** A sudo or host-lock failure as a clear error, or undefined. */
export function sudoFailure(c: Connection, res: Pick<ExecResult, "code" | "stderr">): HostError | undefined {
    const where = endpoint(c);
    const err = res.stderr;
    if (res.code === 75 && /host lock busy/.test(err)) {
        const holder = trimRemote(err.replace(/^[\s\S]*host lock busy: /, ""), 1, 200);
        return new HostError(`${where}: another apply has held this host's lock for 120 s (${holder}); retry when it is done`);
    }
    if (res.code === 75 && /^kernelhardening: .*nothing was changed$/m.test(err)) {
        return new HostError(`${where}: ${trimRemote(err, 1, 300)}`); // no lock could be had (prelude.sh lock_fail)
    }
    if (!usesSudo(c) || res.code === 0) return undefined;
    const user = c.user;
    if (res.code === 127 && /\bsudo: (command )?not found/.test(err)) {
        return new HostError(`${where}: sudo is not installed on this host (user ${user} is not root): install sudo, or connect as root`);
    }
    if (/sudo: sorry, you must have a tty to run sudo/.test(err)) {
        return new HostError(`${where}: sudo on this host requires a terminal for user ${user} (Defaults requiretty); ` +
            `the provider runs without one: add "Defaults:${user} !requiretty" to sudoers`);
    }
    if (c.sudoPassword !== undefined && /incorrect password attempt|Sorry, try again|no password was provided/.test(err)) {
        return new HostError(`${where}: sudo did not accept connection.sudoPassword for user ${user}`);
    }
    if (/sudo: (a password is required|a terminal is required)/.test(err)) {
        return new HostError(`${where}: sudo asks user ${user} for a password: set connection.sudoPassword (a secret), ` +
            "allow passwordless sudo (NOPASSWD) for /bin/sh, or connect as root");
    }
    if (/is not in the sudoers file|not allowed to execute|may not run sudo/.test(err)) {
        return new HostError(`${where}: user ${user} may not run /bin/sh as root through sudo on this host (see the README's sudo section)`);
    }
    return undefined;
}

/**
 * Runs a constant script with `stdin` (records, see records.ts) in one SSH round trip. Same
 * signature as the pool's former exec. The stderr returned is the end of the script's own stderr
 * with control characters escaped; sudo and host-lock failures are thrown as clear errors.
 */
export async function runScript(
    c: Connection,
    script: string,
    stdin: Buffer | string = "",
    label = "exec",
): Promise<ExecResult> {
    const gate = usesSudo(c) && c.sudoPassword !== undefined
        ? { ready: SUDO_READY, prompt: SUDO_PROMPT, answer: c.sudoPassword }
        : undefined;
    const res = await pool.run(c, commandFor(c, script), { stdin, label, gate });
    const failure = sudoFailure(c, res);
    if (failure) throw failure;
    const tail = res.stderr.length > STDERR_FOR_MESSAGES ? "…" + res.stderr.slice(-STDERR_FOR_MESSAGES) : res.stderr;
    return { ...res, stderr: escapeControl(tail) };
}
