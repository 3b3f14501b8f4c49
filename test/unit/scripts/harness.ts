// Runs the remote scripts as hosts run them (the same text, under dash and bash) against a fake
// root tree, the way pyinfra tests its operations from fixtures: records on stdin and a tree in,
// records out and the tree after. KH_ROOT points the scripts at the tree; what a tree cannot
// provide (the kernel behind /proc/sys, apt, uname) comes from the small fakes in
// test/fixtures/scripts/bin, put first on a PATH that holds only the tools the scripts may use.
import { spawnSync } from "child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, chmodSync, chownSync } from "fs";
import { tmpdir } from "os";
import { dirname, join, resolve } from "path";
import { b64, encodeRecords, parseRecords, Record_ } from "../../../provider/host/records";

const FIXTURES = resolve(__dirname, "../../fixtures/scripts");
export const SHELLS = ["dash", "bash"] as const;
export type Shell = (typeof SHELLS)[number];

/** A field given as `{ "b64": text }` is base64 of text (fixtures stay readable). */
export type Field = string | { b64: string };

/** A tree entry: file content, or a symlink, directory or FIFO (mode and owner optional). */
type Entry =
    | string
    | { link: string }
    | { dir: true; mode?: string; uid?: number }
    | { fifo: true }
    | { content: string; mode?: string; uid?: number };

export interface Case {
    name: string;
    script: string;
    tree?: Record<string, Entry>;
    /** Rules of the fake kernel ($KH_FAKE/kernel): proc path -> rule (see bin/env). */
    kernel?: Record<string, string>;
    /** Files of the fake apt, dpkg and uname ($KH_FAKE). */
    fake?: Record<string, string>;
    stdin: Field[][] | { raw: string };
    /** Tools taken off PATH for this case (e.g. flock). */
    without?: string[];
    env?: Record<string, string>;
    expect: {
        code: number;
        records?: Field[][];
        /** Records that must be among the output (when the rest depends on the machine). */
        includes?: Field[][];
        /** path -> content, null for absent, { link } for a symlink. */
        files?: Record<string, string | null | { link: string }>;
        /** Files of $KH_FAKE after the run (e.g. the holds apt-mark keeps). */
        fake?: Record<string, string | null>;
        stderr?: string;
    };
}

export interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
    records: Record_[];
    root: string;
    fake: string;
    dir: string;
}

/** In expectations, `ROOT/` stands for the fake tree (paths the scripts print are under it). */
const field = (f: Field, root?: string): string => {
    const text = typeof f === "string" ? f : f.b64;
    const r = root === undefined ? text : rooted(text, root);
    return typeof f === "string" ? r : b64(r);
};
export const rooted = (text: string, root: string): string => text.split("ROOT/").join(`${root}/`);
export const fields = (rs: Field[][], root?: string): Record_[] => rs.map((r) => r.map((f) => field(f, root)));

// Everything the scripts and the fakes call; nothing else is reachable (no real apt or sysctl).
const TOOLS = [
    "sh", "dash", "bash", "cat", "base64", "mktemp", "rm", "mv", "cp", "ln", "chmod", "chown", "sync", "dirname",
    "basename", "tail", "head", "sed", "grep", "cut", "awk", "tr", "printf", "date", "mkdir", "rmdir", "flock", "ls", "id",
    "readlink", "sort", "touch", "stat", "true", "false", "test", "[", "wc", "tee", "sleep", "echo",
];

function which(tool: string): string | undefined {
    for (const d of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) if (existsSync(join(d, tool))) return join(d, tool);
    return undefined;
}

function sandboxPath(dir: string, without: string[]): string {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    for (const t of TOOLS) {
        const p = which(t);
        if (p && !without.includes(t)) symlinkSync(p, join(bin, t));
    }
    const fakes = join(FIXTURES, "bin");
    for (const f of readdirSync(fakes)) if (!without.includes(f)) symlinkSync(join(fakes, f), join(bin, f));
    // As root, atomic_write's chown 0:0 is real; a test run as another user cannot chown to root.
    if (process.getuid?.() !== 0) writeFileSync(join(bin, "chown"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    return bin;
}

function makeTree(root: string, tree: Record<string, Entry>) {
    mkdirSync(join(root, "run"), { recursive: true });
    for (const [p, e] of Object.entries(tree)) {
        const full = join(root, p);
        mkdirSync(dirname(full), { recursive: true });
        if (typeof e === "string") writeFileSync(full, e);
        else if ("link" in e) symlinkSync(e.link, full);
        else if ("fifo" in e) spawnSync("mkfifo", [full]);
        else if ("dir" in e) mkdirSync(full, { recursive: true });
        else writeFileSync(full, e.content);
        if (typeof e === "object" && "mode" in e && e.mode) chmodSync(full, parseInt(e.mode, 8));
        if (typeof e === "object" && "uid" in e && e.uid !== undefined) chownSync(full, e.uid, e.uid);
    }
}

function copyDir(from: string, to: string) {
    if (!existsSync(from)) return;
    for (const e of readdirSync(from, { withFileTypes: true })) {
        const s = join(from, e.name);
        const d = join(to, e.name);
        if (e.isDirectory()) copyDir(s, d);
        else if (e.isFile()) {
            mkdirSync(to, { recursive: true });
            writeFileSync(d, readFileSync(s));
        }
    }
}

/** Sets up the case's tree and fakes; the caller runs the script (and may change the tree first). */
export function prepare(c: Pick<Case, "tree" | "kernel" | "fake" | "without">): { dir: string; root: string; fake: string; path: string } {
    const dir = mkdtempSync(join(tmpdir(), "kh-script-"));
    const root = join(dir, "root");
    const fake = join(dir, "fake");
    mkdirSync(fake);
    makeTree(root, c.tree ?? {});
    copyDir(join(root, "proc/sys"), join(fake, "state"));
    writeFileSync(join(fake, "kernel"), Object.entries(c.kernel ?? {}).map(([k, r]) => `${k} ${r}\n`).join(""));
    for (const [k, v] of Object.entries(c.fake ?? {})) writeFileSync(join(fake, k), v);
    return { dir, root, fake, path: sandboxPath(dir, c.without ?? []) };
}

export function scriptEnv(
    p: { root: string; fake: string; path: string },
    extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
    return { PATH: p.path, KH_ROOT: p.root, KH_FAKE: p.fake, KH_LOCK_WAIT: "1", LANG: "C", ...extra };
}

export function stdinOf(c: Pick<Case, "stdin">): string {
    return Array.isArray(c.stdin) ? encodeRecords(fields(c.stdin)) : c.stdin.raw;
}

/**
 * Runs `script` (the exact text sent to hosts) under `shell` as pool.exec does (`/bin/sh -c SCRIPT`):
 * named sh, so bash runs as it does where it is /bin/sh (POSIX mode, no rc files).
 */
export function runScript(shell: Shell, script: string, c: Case, p = prepare(c)): Run {
    const r = spawnSync(shell, ["-c", script], { argv0: "sh", input: stdinOf(c), env: scriptEnv(p, c.env), encoding: "utf8", timeout: 20_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, records: parseRecords(r.stdout), ...p };
}

/** What a path in the tree is now, in the fixtures' terms. */
export function entryNow(root: string, p: string): string | null | { link: string } {
    const full = join(root, p);
    try {
        if (lstatSync(full).isSymbolicLink()) return { link: readlinkSync(full) };
    } catch {
        return null;
    }
    return readFileSync(full, "utf8");
}

/** Temporary files an apply must never leave (atomic_write's and keep_original's). */
export function leftoverTemps(root: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
            if (e.isDirectory()) walk(join(d, e.name));
            else if (/\.kh-/.test(e.name)) out.push(join(d, e.name));
        }
    };
    walk(root);
    return out;
}

export function cleanup(dir: string) {
    rmSync(dir, { recursive: true, force: true });
}

export function loadCases(file: string): Case[] {
    return JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as Case[];
}
