// SSH connections: dialing (with retries, host key checks and jump hosts), reuse across resources on
// the same host within one provider process, a bound on how many are open at once, and remote
// commands bounded in time and output (one provider process serves every host of a stack: a host
// that never answers or floods us must not stall the others or grow our memory).
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import type * as ssh2 from "ssh2";
import { appendFileSync, readFileSync } from "fs";
import { Connection, DEFAULT_COMMAND_TIMEOUT, HopConnection, connectionSecrets, endpoint } from "./connection";
import { HostKeyPolicy, hostKeyAlgorithms, parsePin, readKnownHosts, verifyHostKey } from "./hostkeys";
import { Semaphore } from "./semaphore";
import { registerSecret, scrubSecrets } from "./redact";

export interface ExecResult {
    code: number;
    /** Set when the remote command was killed by a signal (code is then 255). */
    signal?: string;
    stdout: Buffer;
    /** The last STDERR_KEPT bytes of the command's stderr. */
    stderr: string;
}

/** More stdout than any of our scripts sends (the audit's kernel config is a few hundred KiB). */
export const MAX_STDOUT_BYTES = 8 * 1024 * 1024;
/** stderr is kept only for messages: its tail, and a host that floods it is cut off like stdout. */
export const MAX_STDERR_BYTES = 8 * 1024 * 1024;
export const STDERR_KEPT = 16 * 1024;
/** How long a channel we closed may take to confirm before the whole connection is dropped. */
const CLOSE_GRACE_MS = 5_000;

export interface ExecOptions {
    stdin?: Buffer | string;
    /** Names the command in traces and messages. */
    label?: string;
    /**
     * Hold stdin back until the remote side prints `ready` on stderr, answering `prompt` with
     * `answer` (a secret) once; a second prompt ends stdin (the answer was refused). The markers
     * are removed from the stderr returned. Used for `sudo -S` (see host/run.ts).
     */
    gate?: { ready: string; prompt: string; answer: string };
}

/** A failure reaching or talking to a host; the message always names host:port. */
export class HostError extends Error {
    constructor(
        message: string,
        readonly retryable = false,
    ) {
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
/** An idle connection is closed after this long, or at once when another host waits for a slot. */
const IDLE_CLOSE_MS = 30_000;
/** Descriptors kept for everything else in the process (gRPC, files, the engine's pipes). */
const FD_RESERVE = 256;
/** The default cap: memory per open connection (ssh2 buffers, about 0.3 MB) bounds it well below 1 GB. */
const DEFAULT_MAX_CONNECTIONS = 256;

/** The soft RLIMIT_NOFILE of this process (Linux /proc; elsewhere the common default of 1024). */
export function openFileLimit(limits = "/proc/self/limits"): number {
    try {
        const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(limits, "utf8"));
        if (m) return m[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(m[1]);
    } catch {
        /* not Linux */
    }
    return 1024;
}

/**
 * How many SSH connections one provider process keeps open at once. KH_SSH_MAX_CONNECTIONS sets it;
 * otherwise DEFAULT_MAX_CONNECTIONS, lowered so that two descriptors per connection (a jump host's
 * and the target's) fit the open-file limit. Above the cap, hosts wait for a slot, and the least
 * recently used idle connection gives its slot up at once: the cap bounds memory, never stalls a fleet.
 */
export function maxConnectionsFor(env: string | undefined, fdLimit: number): number {
    const fit = Math.max(1, Math.floor((fdLimit - FD_RESERVE) / 2));
    if (env !== undefined && env.trim() !== "") {
        const n = Number(env);
        if (!Number.isInteger(n) || n < 1)
            throw new Error(`KH_SSH_MAX_CONNECTIONS must be a positive integer, got ${JSON.stringify(env)}`);
        return Math.min(n, fit);
    }
    return Math.max(1, Math.min(DEFAULT_MAX_CONNECTIONS, fit));
}

interface Entry {
    key: string;
    client: Promise<Client>;
    /** Set once the dial succeeded. */
    ready?: Client;
    channels: Semaphore;
    /** Callers that have this entry and have not finished (waiting for the dial or a channel, or running). */
    users: number;
    /** When it was last used, in the pool's own order (a counter: two uses within a millisecond stay ordered). */
    lastUsed: number;
    idleTimer?: NodeJS.Timeout;
    /** Holds one of the pool's connection slots until retired. */
    holdsSlot: boolean;
}

function hostKeyPolicy(c: HopConnection): HostKeyPolicy {
    if (c.insecureIgnoreHostKey) return { kind: "insecure" };
    if (c.hostKey) return { kind: "pinned", keys: [parsePin(c.hostKey)], source: "connection.hostKey" };
    const known = readKnownHosts(c.knownHostsPath, c.host, c.port);
    const source = c.knownHostsPath ?? "~/.ssh/known_hosts";
    return { kind: "pinned", keys: known.keys, revoked: known.revoked, source };
}

function connectConfig(c: HopConnection, onHostKeyError: (msg: string) => void): ConnectConfig {
    const policy = hostKeyPolicy(c);
    const where = endpoint(c);
    const types = policy.kind === "pinned" ? [...new Set(policy.keys.map((k) => k.type))] : [];
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
    if (types.length > 0 && types.every((t) => t !== undefined)) {
        const algorithms = [...new Set(types.flatMap((t) => hostKeyAlgorithms(t!)))];
        cfg.algorithms = { serverHostKey: algorithms as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"] };
    }
    if (c.password !== undefined) cfg.password = c.password;
    if (c.privateKey !== undefined) cfg.privateKey = c.privateKey;
    if (c.privateKeyPassword !== undefined) cfg.passphrase = c.privateKeyPassword;
    const agent =
        c.agentSocketPath ??
        (c.password === undefined && c.privateKey === undefined ? process.env.SSH_AUTH_SOCK : undefined);
    if (agent) cfg.agent = agent;
    return cfg;
}

function describeDialError(err: Error & { code?: string; level?: string }, where: string): HostError {
    const msg = err.message || String(err);
    if (err.level === "client-authentication" || /authentication methods failed/i.test(msg)) {
        return new CredentialError(
            `${where}: authentication failed (the server rejected every configured method: check user, password, privateKey or agent)`,
        );
    }
    if (err.code === "ECONNREFUSED") return new HostError(`${where}: connection refused`, true);
    if (err.code === "EHOSTUNREACH" || err.code === "ENETUNREACH")
        return new HostError(`${where}: host unreachable`, true);
    if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN")
        return new HostError(`${where}: cannot resolve host name`, true);
    if (/Timed out while waiting for handshake/i.test(msg))
        return new HostError(`${where}: no SSH handshake within the per-dial timeout`, true);
    if (/Cannot parse privateKey/i.test(msg))
        return new HostError(`${where}: cannot use privateKey: ${msg.replace(/^.*Cannot parse privateKey:\s*/i, "")}`);
    if (err.code === "ECONNRESET" || /closed|reset|lost/i.test(msg))
        return new HostError(`${where}: connection closed during the SSH handshake (${msg})`, true);
    return new HostError(`${where}: ${msg}`, true);
}

// ssh2 is loaded at the first dial, not at start-up: loading it is a good share of a provider process's
// start-up, and the engine starts a second provider process per phase that only checks and diffs.
let ssh2Module: typeof ssh2 | undefined;
function newClient(): Client {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ssh2Module ??= require("ssh2") as typeof ssh2;
    return new ssh2Module.Client();
}

function dialOnce(c: HopConnection, sock?: NodeJS.ReadableStream): Promise<Client> {
    const where = endpoint(c);
    return new Promise((resolve, reject) => {
        const client = newClient();
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
        const timer = setTimeout(
            () => done(new HostError(`${where}: no SSH session within ${c.perDialTimeout} s`, true)),
            c.perDialTimeout * 1000 + 1000,
        );
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
            done(
                hostKeyError
                    ? new CredentialError(hostKeyError)
                    : new HostError(`${where}: connection closed before the SSH session was ready`, true),
            );
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

async function dialWithRetries(
    c: HopConnection,
    cancelled: () => boolean,
    sock?: () => Promise<NodeJS.ReadableStream>,
): Promise<Client> {
    let last: HostError | undefined;
    for (let attempt = 1; attempt <= c.dialErrorLimit; attempt++) {
        if (cancelled()) throw new CancelledError(endpoint(c));
        try {
            return await dialOnce(c, sock ? await sock() : undefined);
        } catch (err) {
            last = err instanceof HostError ? err : new HostError(`${endpoint(c)}: ${(err as Error).message}`, true);
            if (!last.retryable) throw last;
            if (attempt < c.dialErrorLimit)
                await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** (attempt - 1), 2000)));
        }
    }
    throw new HostError(
        `${last!.message} (gave up after ${c.dialErrorLimit} attempt${c.dialErrorLimit === 1 ? "" : "s"})`,
    );
}

function forward(jump: Client, host: string, port: number): Promise<NodeJS.ReadableStream> {
    return new Promise((resolve, reject) =>
        jump.forwardOut("127.0.0.1", 0, host, port, (err, stream) =>
            err
                ? reject(new HostError(`cannot reach ${host}:${port} through the jump host: ${err.message}`, true))
                : resolve(stream),
        ),
    );
}

/** The engine asked the provider to stop (Cancel): no new remote command starts. */
export class CancelledError extends HostError {
    constructor(where: string) {
        super(
            `${where}: cancelled: the engine asked the provider to stop before this remote command started; nothing was changed by it`,
        );
    }
}

/** Where every remote command is counted when KH_TRACE_FILE is set (tests and benchmarks count round trips). */
function trace(where: string, label: string) {
    const file = process.env.KH_TRACE_FILE;
    if (file) appendFileSync(file, JSON.stringify({ t: Date.now(), pid: process.pid, host: where, op: label }) + "\n");
}

export class SshPool {
    private entries = new Map<string, Entry>();
    private readonly maxConnections: number;
    private slotsUsed = 0;
    /** Orders the entries' last uses for least-recently-used eviction. */
    private uses = 0;
    private slotWaiters: Array<() => void> = [];
    private cancelled = false;

    constructor(
        maxConnections = maxConnectionsFor(process.env.KH_SSH_MAX_CONNECTIONS, openFileLimit()),
        private readonly idleCloseMs = IDLE_CLOSE_MS,
    ) {
        this.maxConnections = maxConnections;
    }

    /** Connections open or being dialled, and hosts waiting for a slot (tests and traces). */
    stats(): { open: number; waiting: number; max: number } {
        return { open: this.slotsUsed, waiting: this.slotWaiters.length, max: this.maxConnections };
    }

    /**
     * The engine's Cancel: commands already running on hosts finish (an apply is never cut in the
     * middle by us; each is bounded by commandTimeout), no new one starts and no dial is retried.
     */
    cancel(): void {
        this.cancelled = true;
        trace("-", "cancel");
    }

    private keyOf(c: Connection): string {
        // Auth material is part of the identity so two stacks with different credentials never share a session.
        return JSON.stringify([
            c.host,
            c.port,
            c.user,
            c.password,
            c.privateKey,
            c.agentSocketPath,
            c.hostKey,
            c.knownHostsPath,
            c.insecureIgnoreHostKey,
            c.proxy,
        ]);
    }

    private acquireSlot(): Promise<void> {
        if (this.slotsUsed < this.maxConnections) {
            this.slotsUsed++;
            return Promise.resolve();
        }
        const p = new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        this.evictIdle();
        return p;
    }

    /** A slot freed goes straight to the next waiting host (slotsUsed unchanged), else back to the pool. */
    private releaseSlot(): void {
        const next = this.slotWaiters.shift();
        if (next) next();
        else this.slotsUsed--;
    }

    /** Someone waits for a slot: close the least recently used idle connection, if there is one. */
    private evictIdle(): void {
        let lru: Entry | undefined;
        for (const e of this.entries.values())
            if (e.ready && e.users === 0 && e.holdsSlot && (!lru || e.lastUsed < lru.lastUsed)) lru = e;
        if (lru) this.retire(lru);
    }

    /** Forgets an entry, closes its connection and gives its slot up (once, whatever closes it first). */
    private retire(e: Entry): void {
        if (this.entries.get(e.key) === e) this.entries.delete(e.key);
        if (e.idleTimer) clearTimeout(e.idleTimer);
        e.ready?.end();
        if (e.holdsSlot) {
            e.holdsSlot = false;
            this.releaseSlot();
        }
    }

    private async open(c: Connection): Promise<Client> {
        await this.acquireSlot();
        const cancelled = () => this.cancelled;
        let jump: Client | undefined;
        try {
            if (!c.proxy) return await dialWithRetries(c, cancelled);
            const hop = await dialWithRetries(c.proxy, cancelled);
            jump = hop;
            const client = await dialWithRetries(c, cancelled, () => forward(hop, c.host, c.port));
            client.on("close", () => hop.end());
            return client;
        } catch (err) {
            jump?.end(); // the jump host connected but the target did not: close it too
            this.releaseSlot();
            throw err;
        }
    }

    private entry(c: Connection): Entry {
        const key = this.keyOf(c);
        let e = this.entries.get(key);
        if (!e) {
            const created: Entry = {
                key,
                client: this.open(c),
                channels: new Semaphore(MAX_CHANNELS_PER_CONNECTION),
                users: 0,
                lastUsed: ++this.uses,
                holdsSlot: true,
            };
            created.client.then(
                (client) => {
                    created.ready = client;
                    client.on("close", () => this.retire(created));
                },
                () => {
                    // The dial failed: open() never got a slot or gave it back; the next call dials afresh.
                    created.holdsSlot = false;
                    if (this.entries.get(key) === created) this.entries.delete(key);
                },
            );
            this.entries.set(key, created);
            e = created;
        }
        return e;
    }

    /** Drops a connection now (a host that floods us or ignores a channel close). */
    private drop(c: Connection, client: Client): void {
        const e = this.entries.get(this.keyOf(c));
        if (e?.ready === client) this.retire(e);
        client.end();
        setTimeout(() => client.destroy(), CLOSE_GRACE_MS).unref();
    }

    /**
     * Runs one command on the host (host/run.ts builds it from a constant script), data on stdin.
     * One call is one SSH round trip. The command may run connection.commandTimeout seconds and send
     * MAX_STDOUT_BYTES; past either it is abandoned with an error. Messages never carry a credential.
     */
    async run(c: Connection, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
        const secrets = connectionSecrets(c);
        for (const s of secrets) registerSecret(s);
        const where = endpoint(c);
        try {
            if (this.cancelled) throw new CancelledError(where);
            return await this.runOnce(c, command, opts);
        } catch (err) {
            if (err instanceof CredentialError) throw new CredentialError(scrubSecrets(err.message, secrets));
            if (err instanceof CancelledError) throw err;
            if (err instanceof HostError) throw new HostError(scrubSecrets(err.message, secrets), err.retryable);
            throw new HostError(scrubSecrets(`${where}: ${(err as Error).message}`, secrets));
        }
    }

    private async runOnce(c: Connection, command: string, opts: ExecOptions): Promise<ExecResult> {
        const where = endpoint(c);
        const label = opts.label ?? "exec";
        const e = this.entry(c);
        e.users++; // from here on not idle: never evicted while it waits for its dial or a channel
        if (e.idleTimer) clearTimeout(e.idleTimer);
        try {
            const client = await e.client;
            await e.channels.acquire();
            try {
                if (this.cancelled) throw new CancelledError(where);
                trace(where, label);
                return await new Promise<ExecResult>((resolve, reject) => {
                    client.exec(command, (err: Error | undefined, stream: ClientChannel) => {
                        if (err)
                            return reject(
                                new HostError(`${where}: cannot start a remote command: ${err.message}`, true),
                            );
                        this.collect(c, client, stream, opts, label).then(resolve, reject);
                    });
                });
            } finally {
                e.channels.release();
            }
        } finally {
            e.users--;
            e.lastUsed = ++this.uses;
            if (e.users === 0 && e.ready && e.holdsSlot) {
                // Another host waits for a slot: this one's is worth more there than kept for reuse.
                if (this.slotWaiters.length > 0) this.retire(e);
                else {
                    e.idleTimer = setTimeout(() => this.retire(e), this.idleCloseMs);
                    e.idleTimer.unref();
                }
            }
        }
    }

    private collect(
        c: Connection,
        client: Client,
        stream: ClientChannel,
        opts: ExecOptions,
        label: string,
    ): Promise<ExecResult> {
        const where = endpoint(c);
        const seconds = c.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT;
        return new Promise<ExecResult>((resolve, reject) => {
            const out: Buffer[] = [];
            let outBytes = 0;
            let errTail = Buffer.alloc(0);
            let errBytes = 0;
            let code: number | null = null;
            let signal: string | undefined;
            let settled = false;
            const finish = (err: HostError | undefined, result?: ExecResult) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                if (err) reject(err);
                else resolve(result!);
            };
            // Stop reading, close the channel, and drop the connection if the host ignores the close.
            const abandon = (err: HostError, dropConnection: boolean) => {
                finish(err);
                stream.pause();
                stream.stderr.pause();
                if (dropConnection) return this.drop(c, client);
                stream.close();
                const grace = setTimeout(() => this.drop(c, client), CLOSE_GRACE_MS);
                grace.unref();
                stream.once("close", () => clearTimeout(grace));
            };
            const timer = setTimeout(() => {
                abandon(
                    new HostError(
                        `${where}: the remote command (${label}) did not finish within ${seconds} s ` +
                            "(connection.commandTimeout); it was abandoned, and an apply it started may still finish on the host",
                    ),
                    false,
                );
            }, seconds * 1000);
            // A stream past its cap: a broken or hostile host; nothing more of it is read.
            const tooMuch = (cap: number, what: string) =>
                abandon(
                    new HostError(
                        `${where}: the remote command (${label}) sent more than ${cap} bytes ${what}; ` +
                            "stopped reading and closed the connection (a broken or hostile host?)",
                    ),
                    true,
                );
            const release = (go: boolean) => stream.end(go ? (opts.stdin ?? "") : "");
            const gate = opts.gate ? new StdinGate(opts.gate, (d) => stream.write(d), release) : undefined;
            stream.on("data", (d: Buffer) => {
                if (settled) return;
                outBytes += d.length;
                if (outBytes > MAX_STDOUT_BYTES) return tooMuch(MAX_STDOUT_BYTES, "of output");
                out.push(d);
            });
            stream.stderr.on("data", (d: Buffer) => {
                if (settled) return;
                errBytes += d.length;
                if (errBytes > MAX_STDERR_BYTES) return tooMuch(MAX_STDERR_BYTES, "on stderr");
                const chunk = gate ? gate.stderr(d) : d;
                errTail = Buffer.concat([errTail, chunk]);
                if (errTail.length > 2 * STDERR_KEPT) errTail = errTail.subarray(errTail.length - STDERR_KEPT);
            });
            stream.on("exit", (x: number | null, sig?: string) => {
                code = x ?? 255;
                signal = x === null ? sig : undefined;
            });
            stream.on("close", () => {
                if (code === null)
                    return finish(new HostError(`${where}: the connection was lost while a remote command ran`, true));
                if (errTail.length > STDERR_KEPT) errTail = errTail.subarray(errTail.length - STDERR_KEPT);
                const stderr = (gate?.rest() ?? "") + errTail.toString("utf8");
                finish(undefined, { code, signal, stdout: Buffer.concat(out), stderr });
            });
            stream.on("error", (e: Error) => finish(new HostError(`${where}: ${e.message}`, true)));
            if (!gate) stream.end(opts.stdin ?? "");
        });
    }

    /** Drops the shared connection to this host (a reboot kills it), so the next exec dials afresh. */
    forget(c: Connection): void {
        const e = this.entries.get(this.keyOf(c));
        if (e) this.forgetEntry(e);
    }

    private forgetEntry(e: Entry): void {
        if (this.entries.get(e.key) === e) this.entries.delete(e.key);
        if (e.idleTimer) clearTimeout(e.idleTimer);
        e.client.then(
            () => this.retire(e),
            () => undefined,
        );
    }

    closeAll(): void {
        for (const e of [...this.entries.values()]) this.forgetEntry(e);
    }
}

/**
 * Holds a command's stdin until a marker line on its stderr, answering a prompt on the way
 * (ExecOptions.gate). Only stderr before the marker is examined, and at most 64 KiB of it.
 */
class StdinGate {
    private head = "";
    private open = false;
    private answered = false;

    constructor(
        private readonly g: NonNullable<ExecOptions["gate"]>,
        private readonly write: (d: string) => void,
        /** Ends stdin: with the command's data when `go`, empty when the answer was refused. */
        private readonly release: (go: boolean) => void,
    ) {}

    /** Takes a stderr chunk; returns what of it belongs to the command's own stderr. */
    stderr(d: Buffer): Buffer {
        if (this.open) return d;
        this.head += d.toString("latin1");
        for (;;) {
            const p = this.head.indexOf(this.g.prompt);
            const r = this.head.indexOf(this.g.ready + "\n");
            if (r >= 0 && (p < 0 || r < p)) {
                const after = this.head.slice(r + this.g.ready.length + 1);
                this.head = this.head.slice(0, r);
                this.open = true;
                this.release(true);
                return Buffer.from(after, "latin1");
            }
            if (p < 0) break;
            this.head = this.head.slice(0, p) + this.head.slice(p + this.g.prompt.length);
            if (this.answered) {
                this.release(false); // asked again: the answer was refused; EOF ends sudo's retries
                this.open = true;
                return Buffer.alloc(0);
            }
            this.answered = true;
            this.write(this.g.answer + "\n");
        }
        if (this.head.length > 64 * 1024) this.head = this.head.slice(-64 * 1024);
        return Buffer.alloc(0);
    }

    /** stderr seen before the marker (sudo's own messages), for the result. */
    rest(): string {
        return Buffer.from(this.head, "latin1").toString("utf8");
    }
}

export const pool = new SshPool();
