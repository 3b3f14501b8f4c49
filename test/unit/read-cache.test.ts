// The read cache: the update phase of a plain `up` gets what its preview read, in another provider
// process of the same CLI run; nothing else ever does, and no secret is written.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { z } from "zod/v4";
import { Ctx, Props, ResourceHandler } from "../../provider/protocol/contract";
import { spawn } from "child_process";
import { cachedRead, openReadCache, readKey, runScope } from "../../provider/framework/read-cache";
import { ConnectionSchema } from "../../provider/ssh/connection";

const SECRET = "PRIVATE-KEY-MATERIAL-0123456789";
const conn = { host: "10.0.0.5", port: 22, user: "root", privateKey: SECRET };
let dir: string;
let env: NodeJS.ProcessEnv;
const saved = { ...process.env };

beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "kh-read-cache-"));
    env = { XDG_RUNTIME_DIR: dir };
    // test/unit/env.ts turns the cache off for every other unit test
    delete process.env.KH_READ_CACHE;
    process.env.XDG_RUNTIME_DIR = dir;
});
afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
});

const Obj = z.object({ connection: ConnectionSchema, name: z.string() });
const State = Obj.extend({ seen: z.number(), drift: z.string() });

/** A provider process: a fresh copy of the framework module (its cache is opened per process). */
function providerProcess(hostReads: { n: number }, drift: () => string): ResourceHandler {
    let h!: ResourceHandler;
    jest.isolateModules(() => {
        // Both "processes" belong to one `pulumi up` run (runScope reads that from the parent process).
        jest.doMock("../../provider/framework/read-cache", () => {
            const real = jest.requireActual("../../provider/framework/read-cache");
            return { ...real, openReadCache: (e?: NodeJS.ProcessEnv) => real.openReadCache(e, "4242-1") };
        });
        const { defineResource } = require("../../provider/framework/define") as typeof import("../../provider/framework/define");
        h = defineResource({
            token: "test:index:Thing",
            inputObject: Obj,
            inputs: Obj,
            state: State,
            replaceOnChanges: [],
            id: (i) => i.name,
            diff: () => [],
            create: async (_c, i) => ({ ...i, seen: 0, drift: "" }),
            read: async (c, { inputs, olds }) => {
                hostReads.n++;
                c.warn(`${inputs.name}: overridden by 99-other.conf`);
                return { ...inputs, seen: olds.seen + 1, drift: drift() };
            },
            update: async (_c, { news }) => ({ ...news, seen: 0, drift: "" }),
            delete: async () => undefined,
        });
    });
    return h;
}

const recorded: Props = { connection: ConnectionSchema.parse(conn), name: "n", seen: 4, drift: "" };
const request = (outputs = recorded) => ({ id: "n", outputs, inputs: { connection: conn, name: "n" } });

test("a second provider process of the same CLI run gets the first one's read: same state, same warnings, the host read once", async () => {
    const reads = { n: 0 };
    let live = "kernel.kptr_restrict=0";
    const preview = providerProcess(reads, () => live);
    const warned: string[] = [];
    const c: Ctx = { warn: (m) => warned.push(m), info: () => undefined };
    const first = await preview.read(c, request());
    live = "changed after the preview";
    const update = providerProcess(reads, () => live);
    const second = await update.read(c, request());
    expect(reads.n).toBe(1);
    expect(second).toEqual(first);
    expect(second!.outputs.drift).toBe("kernel.kptr_restrict=0");
    expect(warned).toEqual(["n: overridden by 99-other.conf", "n: overridden by 99-other.conf"]);
});

test("what the resource recorded or is asked to read with changes the key: the host is read again", async () => {
    const reads = { n: 0 };
    const p = providerProcess(reads, () => "x");
    await p.read({ warn: () => undefined, info: () => undefined }, request());
    await providerProcess(reads, () => "x").read({ warn: () => undefined, info: () => undefined }, request({ ...recorded, seen: 5 }));
    expect(reads.n).toBe(2);
    const other = { id: "n", outputs: recorded, inputs: { connection: { ...conn, port: 2222 }, name: "n" } };
    await providerProcess(reads, () => "x").read({ warn: () => undefined, info: () => undefined }, other);
    expect(reads.n).toBe(3);
});

test("no secret is written: the connection is left out and put back from the request", async () => {
    const p = providerProcess({ n: 0 }, () => "x");
    await p.read({ warn: () => undefined, info: () => undefined }, request());
    const files: string[] = [];
    const walk = (d: string) =>
        readdirSync(d, { withFileTypes: true }).forEach((e) =>
            e.isDirectory() ? walk(join(d, e.name)) : files.push(join(d, e.name)),
        );
    walk(dir);
    expect(files).toHaveLength(1);
    const text = readFileSync(files[0], "utf8");
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("10.0.0.5");
    expect(JSON.parse(text).outputs).toEqual({ name: "n", seen: 5, drift: "x" });
});

test("another CLI run, the off switch, an expired entry and a directory others can write all read the host", async () => {
    const key = readKey("t", "id", {}, {});
    const entry = { outputs: { a: 1 }, inputs: {}, warnings: [] };
    const run = openReadCache(env, "100-1")!;
    run.put(key, entry);
    expect(run.get(key)?.outputs).toEqual({ a: 1 });
    expect(openReadCache(env, "100-2")!.get(key)).toBeUndefined();
    expect(openReadCache({ ...env, KH_READ_CACHE: "off" }, "100-1")).toBeUndefined();
    const now = Date.now();
    jest.spyOn(Date, "now").mockReturnValue(now + 301_000);
    expect(run.get(key)).toBeUndefined();
    jest.restoreAllMocks();
    const open = join(dir, "open");
    mkdirSync(join(open, `kernelhardening-reads-${process.getuid!()}`), { recursive: true });
    chmodSync(join(open, `kernelhardening-reads-${process.getuid!()}`), 0o777);
    expect(openReadCache({ XDG_RUNTIME_DIR: open }, "100-1")).toBeUndefined();
});

test("a read that does not record the request's connection is not kept", async () => {
    const cache = openReadCache(env, "200-1")!;
    const read = jest.fn(async () => ({ outputs: { connection: { host: "elsewhere" }, v: 1 }, inputs: { connection: conn } }));
    const c: Ctx = { warn: () => undefined, info: () => undefined };
    await cachedRead(cache, "k", c, { outputs: conn, inputs: conn }, read);
    await cachedRead(cache, "k", c, { outputs: conn, inputs: conn }, read);
    expect(read).toHaveBeenCalledTimes(2);
});

test("the directories of CLI runs that are gone are swept", () => {
    const root = join(dir, `kernelhardening-reads-${process.getuid!()}`);
    openReadCache(env, "300-1");
    // pid 2^22+1 is above Linux's pid_max: no such process
    mkdirSync(join(root, "4194305-77"), { mode: 0o700 });
    openReadCache(env, "300-1");
    expect(readdirSync(root).sort()).toEqual(["300-1"]);
});

test("a CLI run is the `pulumi` process above the provider (through a wrapper too) of an `up` or a `refresh`; `--skip-preview`, `watch`, other commands and no `pulumi` are none", async () => {
    // A stand-in for the CLI: an executable named pulumi (its process name), which starts a wrapper.
    const cli = join(dir, "pulumi");
    writeFileSync(cli, "#!/bin/sh\nsh -c 'while :; do sleep 1; done' &\necho $!\nwait\n", { mode: 0o755 });
    const start = async (...argv: string[]) => {
        const c = spawn(cli, argv, { stdio: ["ignore", "pipe", "ignore"] });
        const wrapper = Number(await new Promise<string>((r) => c.stdout!.once("data", (d: Buffer) => r(d.toString()))));
        // Until it execs, the forked wrapper is still named pulumi.
        while (readFileSync(`/proc/${wrapper}/comm`, "utf8") === "pulumi\n") await new Promise((r) => setTimeout(r, 10));
        return { c, wrapper };
    };
    const runs = await Promise.all([
        start("up", "--yes", "--stack", "dev"),
        start("watch"),
        start("preview"),
        start("up", "--yes", "--skip-preview"),
        start("refresh"),
    ]);
    const [up, watch, preview, skip, refresh] = runs;
    try {
        expect(runScope(up.c.pid!)).toMatch(new RegExp(`^${up.c.pid}-\\d+$`));
        // From the wrapper's process up to the CLI: the same run.
        expect(runScope(up.wrapper)).toBe(runScope(up.c.pid!));
        expect(runScope(refresh.wrapper)).toMatch(new RegExp(`^${refresh.c.pid}-`));
        for (const r of [watch, preview, skip]) expect(runScope(r.wrapper)).toBeUndefined();
        expect(runScope(process.pid)).toBeUndefined(); // jest: no pulumi above it
        expect(runScope(4194305)).toBeUndefined();
    } finally {
        for (const r of runs) process.kill(r.wrapper);
        await Promise.all(runs.map((r) => new Promise((res) => (r.c.exitCode !== null ? res(null) : (r.c.on("exit", res), r.c.kill())))));
    }
});
