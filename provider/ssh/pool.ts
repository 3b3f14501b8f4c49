// SSH connections: dialing (with retries, host key checks and jump hosts), reuse across resources on
// the same host within one provider process, and a bound on how many are open at once.
import { Client, ClientChannel, ConnectConfig } from "ssh2";
import { appendFileSync } from "fs";
import { Connection, HopConnection, endpoint, usesSudo } from "./connection";
import { HostKeyPolicy, knownHostKeys, parsePin, verifyHostKey } from "./hostkeys";
import { Semaphore } from "./semaphore";
import { scrubSecrets } from "./redact";

export interface ExecResult {
    code: number;
    stdout: Buffer;
    stderr: string;
}

/** A failure reaching or talking to a host; the message always names host:port. */
export class HostError extends Error {
    constructor(message: string, readonly retryable = false) {
        super(message);
    }
}

/**
 * The host was reached but refused our credentials, or is not the host the connection pins: retrying
 * cannot help, and the fix is in the connection (a rotated host key, password or key).
 */
export class CredentialError extends HostError {
    constructor(message: string) {
        super(message, false);
    }
}

const MAX_CHANNELS_PER_CONNECTION = 8; // below sshd's default MaxSessions of 10
const IDLE_CLOSE_MS = 30_000;

interface Entry {
    key: string;
    client: Promise<Client>;
    jump?: Client;
    channels: Semaphore;
    busy: number;
    idleTimer?: NodeJS.Timeout;
}

function hostKeyPolicy(c: HopConnection): HostKeyPolicy {
    if (c.insecureIgnoreHostKey) return { kind: "insecure" };
    if (c.hostKey) return { kind: "pinned", keys: [parsePin(c.hostKey)], source: "connection.hostKey" };
    return {
        kind: "pinned",
        keys: knownHostKeys(c.knownHostsPath, c.host, c.port),
        source: c.knownHostsPath ?? "~/.ssh/known_hosts",
    };
}

function connectConfig(c: HopConnection, onHostKeyError: (msg: string) => void): ConnectConfig {
    const policy = hostKeyPolicy(c);
    const where = endpoint(c);
    const types = policy.kind === "pinned" ? [...new Set(policy.keys.map((k) => k.type).filter(Boolean))] : [];
    const cfg: ConnectConfig = {
        host: c.host,
        port: c.port,
        username: c.user,
        readyTimeout: c.perDialTimeout * 1000,
        keepaliveInterval: 15_000,
        hostVerifier: (key: Buffer) => {
            const err = verifyHostKey(policy, key, where);
            if (err) onHostKeyError(err);
            return !err;
        },
    };
    // Negotiate the pinned key's type, so a host with several keys presents the one we know.
    if (types.length > 0 && types.every((t) => t && !t.startsWith("SHA256"))) {
        cfg.algorithms = { serverHostKey: types as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"] };
    }
    if (c.password !== undefined) cfg.password = c.password;
    if (c.privateKey !== undefined) cfg.privateKey = c.privateKey;
    if (c.privateKeyPassword !== undefined) cfg.passphrase = c.privateKeyPassword;
    const agent = c.agentSocketPath ?? (c.password === undefined && c.privateKey === undefined ? process.env.SSH_AUTH_SOCK : undefined);
    if (agent) cfg.agent = agent;
    return cfg;
}

function describeDialError(err: Error & { code?: string; level?: string }, where: string): HostError {
    const msg = err.message || String(err);
    if (err.level === "client-authentication" || /authentication methods failed/i.test(msg)) {
        return new CredentialError(`${where}: authentication failed (the server rejected every configured method: check user, password, privateKey or agent)`);
    }
    if (err.code === "ECONNREFUSED") return new HostError(`${where}: connection refused`, true);
    if (err.code === "EHOSTUNREACH" || err.code === "ENETUNREACH") return new HostError(`${where}: host unreachable`, true);
    if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") return new HostError(`${where}: cannot resolve host name`, true);
    if (/Timed out while waiting for handshake/i.test(msg)) return new HostError(`${where}: no SSH handshake within the per-dial timeout`, true);
    if (/Cannot parse privateKey/i.test(msg)) return new HostError(`${where}: cannot use privateKey: ${msg.replace(/^.*Cannot parse privateKey:\s*/i, "")}`);
    if (err.code === "ECONNRESET" || /closed|reset|lost/i.test(msg)) return new HostError(`${where}: connection closed during the SSH handshake (${msg})`, true);
    return new HostError(`${where}: ${msg}`, true);
}

function dialOnce(c: HopConnection, sock?: NodeJS.ReadableStream): Promise<Client> {
    const where = endpoint(c);
    return new Promise((resolve, reject) => {
        const client = new Client();
        let hostKeyError: string | undefined;
        let settled = false;
        const done = (err?: HostError) => {
            if (settled) return;
            settled = true;
            if (err) {
                client.end();
                reject(err);
            } else resolve(client);
        };
        // Bounds the whole dial, TCP connect included (ssh2's readyTimeout starts after connect).
        const timer = setTimeout(() => done(new HostError(`${where}: no SSH session within ${c.perDialTimeout} s`, true)), c.perDialTimeout * 1000 + 1000);
        client.on("ready", () => {
            clearTimeout(timer);
            done();
        });
        client.on("error", (err: Error) => {
            clearTimeout(timer);
            done(hostKeyError ? new CredentialError(hostKeyError) : describeDialError(err, where));
        });
        client.on("close", () => {
            clearTimeout(timer);
            done(hostKeyError ? new CredentialError(hostKeyError) : new HostError(`${where}: connection closed before the SSH session was ready`, true));
        });
        const cfg = connectConfig(c, (m) => (hostKeyError = m));
        if (sock) cfg.sock = sock as ConnectConfig["sock"];
        try {
            client.connect(cfg);
        } catch (err) {
            clearTimeout(timer);
            done(describeDialError(err as Error, where));
        }
    });
}

async function dialWithRetries(c: HopConnection, sock?: () => Promise<NodeJS.ReadableStream>): Promise<Client> {
    let last: HostError | undefined;
    for (let attempt = 1; attempt <= c.dialErrorLimit; attempt++) {
        try {
            return await dialOnce(c, sock ? await sock() : undefined);
        } catch (err) {
            last = err instanceof HostError ? err : new HostError(`${endpoint(c)}: ${(err as Error).message}`, true);
            if (!last.retryable) throw last;
            if (attempt < c.dialErrorLimit) await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** (attempt - 1), 2000)));
        }
    }
    throw new HostError(`${last!.message} (gave up after ${c.dialErrorLimit} attempt${c.dialErrorLimit === 1 ? "" : "s"})`);
}

function forward(jump: Client, host: string, port: number): Promise<NodeJS.ReadableStream> {
    return new Promise((resolve, reject) =>
        jump.forwardOut("127.0.0.1", 0, host, port, (err, stream) => (err ? reject(new HostError(`cannot reach ${host}:${port} through the jump host: ${err.message}`, true)) : resolve(stream))),
    );
}

/** Single-quotes a constant script for the remote login shell. Only ever called on our own scripts. */
export function shellQuote(s: string): string {
    return "'" + s.replace(/'/g, "'\\''") + "'";
}

/** Where every remote command is counted when KH_TRACE_FILE is set (tests and benchmarks count round trips). */
function trace(where: string, label: string) {
    const file = process.env.KH_TRACE_FILE;
    if (file) appendFileSync(file, JSON.stringify({ t: Date.now(), pid: process.pid, host: where, op: label }) + "\n");
}

export class SshPool {
    private entries = new Map<string, Entry>();
    private connections: Semaphore;

    constructor(maxConnections = 64) {
        this.connections = new Semaphore(maxConnections);
    }

    private keyOf(c: Connection): string {
        // Auth material is part of the identity so two stacks with different credentials never share a session.
        return JSON.stringify([c.host, c.port, c.user, c.password, c.privateKey, c.agentSocketPath, c.hostKey, c.knownHostsPath, c.insecureIgnoreHostKey, c.proxy]);
    }

    private async open(c: Connection): Promise<Client> {
        await this.connections.acquire();
        try {
            if (!c.proxy) return await dialWithRetries(c);
            const jump = await dialWithRetries(c.proxy);
            const client = await dialWithRetries(c, () => forward(jump, c.host, c.port));
            client.on("close", () => jump.end());
            return client;
        } catch (err) {
            this.connections.release();
            throw err;
        }
    }

    private entry(c: Connection): Entry {
        const key = this.keyOf(c);
        let e = this.entries.get(key);
        if (!e) {
            const created: Entry = { key, client: this.open(c), channels: new Semaphore(MAX_CHANNELS_PER_CONNECTION), busy: 0 };
            created.client.then(
                (client) =>
                    client.on("close", () => {
                        if (this.entries.get(key) === created) this.entries.delete(key);
                        this.connections.release();
                    }),
                () => this.entries.delete(key),
            );
            this.entries.set(key, created);
            e = created;
        }
        return e;
    }

    /**
     * Runs one of our constant shell scripts on the host, data on stdin. One call is one SSH round trip.
     * With sudo, `sudo -n` never prompts: a password request becomes a clear error.
     */
    async exec(c: Connection, script: string, stdin: Buffer | string = "", label = "exec"): Promise<ExecResult> {
        const where = endpoint(c);
        const secrets = [c.password, c.privateKey, c.privateKeyPassword, c.proxy?.password, c.proxy?.privateKey, c.proxy?.privateKeyPassword];
        try {
            return await this.execOnce(c, script, stdin, label);
        } catch (err) {
            if (err instanceof CredentialError) throw new CredentialError(scrubSecrets(err.message, secrets));
            if (err instanceof HostError) throw new HostError(scrubSecrets(err.message, secrets), err.retryable);
            throw new HostError(scrubSecrets(`${where}: ${(err as Error).message}`, secrets));
        }
    }

    private async execOnce(c: Connection, script: string, stdin: Buffer | string, label: string): Promise<ExecResult> {
        const where = endpoint(c);
        const e = this.entry(c);
        const client = await e.client;
        await e.channels.acquire();
        e.busy++;
        if (e.idleTimer) clearTimeout(e.idleTimer);
        try {
            const command = usesSudo(c) ? `sudo -n -- /bin/sh -c ${shellQuote(script)}` : `/bin/sh -c ${shellQuote(script)}`;
            trace(where, label);
            const result = await new Promise<ExecResult>((resolve, reject) => {
                client.exec(command, (err: Error | undefined, stream: ClientChannel) => {
                    if (err) return reject(new HostError(`${where}: cannot start a remote command: ${err.message}`, true));
                    const out: Buffer[] = [];
                    const errs: Buffer[] = [];
                    let code: number | null = null;
                    stream.on("data", (d: Buffer) => out.push(d));
                    stream.stderr.on("data", (d: Buffer) => errs.push(d));
                    stream.on("exit", (c: number | null) => (code = c));
                    stream.on("close", () => {
                        if (code === null) return reject(new HostError(`${where}: the connection was lost while a remote command ran`, true));
                        resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(errs).toString("utf8") });
                    });
                    stream.on("error", (e: Error) => reject(new HostError(`${where}: ${e.message}`, true)));
                    stream.end(stdin);
                });
            });
            if (usesSudo(c) && result.code !== 0 && /sudo: (a password is required|a terminal is required)/.test(result.stderr)) {
                throw new HostError(`${where}: sudo asks user ${c.user} for a password; allow passwordless sudo (NOPASSWD) for the commands this provider runs, or connect as root`);
            }
            if (result.code === 75 && /host lock busy/.test(result.stderr)) {
                throw new HostError(`${where}: another apply has held this host's lock for 120 s (${result.stderr.replace(/^.*host lock busy: /s, "").trim()}); retry when it is done`);
            }
            if (usesSudo(c) && result.code !== 0 && /is not in the sudoers file|not allowed to execute/.test(result.stderr)) {
                throw new HostError(`${where}: user ${c.user} may not use sudo on this host`);
            }
            return result;
        } finally {
            e.busy--;
            e.channels.release();
            if (e.busy === 0) {
                e.idleTimer = setTimeout(() => client.end(), IDLE_CLOSE_MS);
                e.idleTimer.unref();
            }
        }
    }

    /** Drops the shared connection to this host (a reboot kills it), so the next exec dials afresh. */
    forget(c: Connection): void {
        const e = this.entries.get(this.keyOf(c));
        if (!e) return;
        this.entries.delete(e.key);
        e.client.then((client) => client.end(), () => undefined);
    }

    closeAll(): void {
        for (const e of this.entries.values()) e.client.then((c) => c.end(), () => undefined);
        this.entries.clear();
    }
}

export const pool = new SshPool();
