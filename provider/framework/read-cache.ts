// One read of each host per `pulumi up`. A plain `up` is a preview and then an update; the engine starts
// a new provider process for each and, because our resources ask for a refresh before an update, reads
// every host in both: the update re-reads what its own preview read seconds before. A read made by a
// provider process is kept here for the other processes of the same CLI run (the same parent process,
// told apart from a reused pid by its start time) for at most TTL_MS, so the update applies to what its
// preview showed. Another CLI run never sees it: a lone `preview`, `up --skip-preview` and the next `up`
// read the host. Creates, updates and deletes never use it. KH_READ_CACHE=off turns it off.
//
// Kept on disk, private to the user (a 0700 directory we own, else no cache). Never a secret: what is kept
// is the refreshed state without its `connection` (put back from the request's, which must be the one read
// with), keyed by a hash of the resource, its inputs and its recorded state.
import { createHash, randomBytes } from "crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { Ctx, Props } from "../protocol/contract";

const TTL_MS = 300_000;
const MAX_ENTRY_BYTES = 1 << 20;
const TWO_PHASES = new Set(["up", "update", "refresh"]);
/** One update and no preview before it (nothing to share), or many updates in one process. */
const ONE_PHASE = new Set(["--skip-preview", "-f", "watch"]);

interface Entry {
    t: number;
    outputs: Props;
    inputs: Props;
    warnings: string[];
}

/**
 * The CLI run this process belongs to: the `pulumi` process that started it (the engine starts plugins
 * itself; a wrapper such as `time` or a launcher script in between is allowed), by pid and start time.
 * Undefined when there is none, and unless it is a run of a preview and an update that each refresh
 * (`up`, `refresh`; not with `--skip-preview`, and not `pulumi watch`, many updates in one process).
 */
export function runScope(from = process.ppid): string | undefined {
    let pid = from;
    for (let depth = 0; depth < 4 && pid > 1; depth++) {
        const p = processStat(pid);
        if (!p) return undefined;
        if (p.comm === "pulumi") {
            try {
                const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(1);
                if (!argv.some((a) => TWO_PHASES.has(a)) || argv.some((a) => ONE_PHASE.has(a))) return undefined;
            } catch {
                return undefined;
            }
            return `${pid}-${p.start}`;
        }
        pid = p.ppid;
    }
    return undefined;
}

/** A process's name, parent and start time (a pid can be reused, pid and start time cannot). */
function processStat(pid: number): { comm: string; ppid: number; start: string } | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        // The name is in parentheses and may hold spaces and parentheses itself: fields are counted after it.
        const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return /^\d+$/.test(f[19]) ? { comm, ppid: Number(f[1]), start: f[19] } : undefined;
    } catch {
        return undefined;
    }
}

/** A directory only this user can use, or undefined (then nothing is cached). */
function privateDir(path: string): string | undefined {
    try {
        mkdirSync(path, { recursive: true, mode: 0o700 });
        const st = lstatSync(path);
        const uid = process.getuid?.();
        if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) return undefined;
        return path;
    } catch {
        return undefined;
    }
}

export interface ReadCache {
    get(key: string): Entry | undefined;
    put(key: string, e: Omit<Entry, "t">): void;
}

export function openReadCache(env: NodeJS.ProcessEnv = process.env, scope = runScope()): ReadCache | undefined {
    if (env.KH_READ_CACHE === "off" || !scope) return undefined;
    const root = privateDir(join(env.XDG_RUNTIME_DIR || tmpdir(), `kernelhardening-reads-${process.getuid?.() ?? "u"}`));
    const dir = root && privateDir(join(root, scope));
    if (!root || !dir) return undefined;
    sweep(root, scope);
    const file = (key: string) => join(dir, `${key}.json`);
    return {
        get(key) {
            try {
                const e = JSON.parse(readFileSync(file(key), "utf8")) as Entry;
                return Date.now() - e.t < TTL_MS ? e : undefined;
            } catch {
                return undefined;
            }
        },
        put(key, e) {
            const text = JSON.stringify({ t: Date.now(), ...e });
            if (text.length > MAX_ENTRY_BYTES) return;
            const tmp = join(dir, `.${key}.${randomBytes(4).toString("hex")}`);
            try {
                writeFileSync(tmp, text, { mode: 0o600 });
                renameSync(tmp, file(key));
            } catch {
                rmSync(tmp, { force: true });
            }
        },
    };
}

/** Other runs' directories go once their CLI process is gone (or their entries are stale). */
function sweep(root: string, keep: string): void {
    for (const name of safeList(root)) {
        if (name === keep) continue;
        const [pid, start] = name.split("-");
        const stale = processStat(Number(pid))?.start !== start;
        if (stale) rmSync(join(root, name), { recursive: true, force: true });
    }
}

function safeList(dir: string): string[] {
    try {
        return readdirSync(dir);
    } catch {
        return [];
    }
}

/** The key of one read: the resource, what it is asked to read with, and what was recorded. */
export function readKey(token: string, id: string, inputs: Props, outputs: Props): string {
    return createHash("sha256").update(JSON.stringify([token, id, inputs, outputs])).digest("hex");
}

/**
 * `read` through the cache. Only a result that records the request's connections (in its outputs and,
 * if any, its inputs) is kept, without them; a hit puts them back and repeats the read's warnings.
 */
export async function cachedRead(
    cache: ReadCache | undefined,
    key: string,
    ctx: Ctx,
    connection: { outputs: unknown; inputs: unknown },
    read: (ctx: Ctx) => Promise<{ outputs: Props; inputs: Props }>,
): Promise<{ outputs: Props; inputs: Props }> {
    const put = (p: Props, c: unknown): Props => (c === undefined ? p : { ...p, connection: c });
    const hit = cache?.get(key);
    if (hit) {
        for (const w of hit.warnings) ctx.warn(w);
        return { outputs: put(hit.outputs, connection.outputs), inputs: put(hit.inputs, connection.inputs) };
    }
    const warnings: string[] = [];
    const r = await read({ warn: (m) => (warnings.push(m), ctx.warn(m)), info: (m) => ctx.info(m) });
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (cache && same(r.outputs.connection, connection.outputs) && same(r.inputs.connection, connection.inputs)) {
        const { connection: _o, ...outputs } = r.outputs;
        const { connection: _i, ...inputs } = r.inputs;
        cache.put(key, { outputs, inputs, warnings });
    }
    return r;
}
