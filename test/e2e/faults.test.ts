// Faults the cut sweep does not make: the provider process killed (SIGKILL) in the middle of each
// resource's apply, and Ctrl-C (SIGINT to the CLI) during an apply. Each time the
// host is never left half-written, and the next `pulumi up` (after `pulumi refresh` when the engine
// left a pending operation, as the CLI tells a user to) converges to exactly what an uncut run leaves.
import { mkdtempSync, readFileSync, existsSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { connectionFor, restore, sh, VmState } from "../harness/vm";
import { RunResult, Stack } from "../harness/pulumi";
import { SUBJECTS, Subject } from "../reliability/cuts";
import { newStack, ResourceSpec, sharedVm } from "./shared";

jest.setTimeout(1_800_000);

/**
 * A test hook on the host: the first `sync` of an apply after it took the host lock (atomic_write
 * calls it before its rename; Sysctl's apply when it recorded the first previous value) marks
 * /run/kh-mid and holds the apply there until the test creates /run/kh-go (at most 10 minutes).
 */
const SLOW_APPLY = `cat > /usr/local/bin/sync <<'EOF'
#!/bin/sh
case "$*" in */run/kernelhardening*|*/run/lock/*) exec /usr/bin/sync "$@" ;; esac # the host lock's owner record
if mkdir /run/kh-slow 2>/dev/null; then
  touch /run/kh-mid; i=0
  while [ ! -e /run/kh-go ] && [ $i -lt 6000 ]; do sleep 0.1; i=$((i + 1)); done
fi
exec /usr/bin/sync "$@"
EOF
chmod 755 /usr/local/bin/sync`;
const MID = "test -e /run/kh-mid && echo y || true";
const TEMPS = "find /etc /boot /var/lib/kernelhardening -name '.*.kh-*' 2>/dev/null | wc -l";

interface HostView {
    files: Array<string | null>;
    live: string;
}

async function view(vm: VmState, s: Subject): Promise<HostView> {
    const script = s.files.map((f) => `if [ -e '${f}' ]; then base64 -w0 '${f}'; else printf -- -; fi; echo`).join("; ") + `; ${s.live}`;
    const lines = (await sh(vm, script)).split("\n");
    return { files: s.files.map((_f, i) => (lines[i] === "-" ? null : Buffer.from(lines[i], "base64").toString("utf8"))), live: lines.slice(s.files.length).join("\n") };
}

/** State outputs of the stack's resources, by name, without what differs between two stacks. */
async function outputs(st: Stack): Promise<Record<string, unknown>> {
    const res = (await st.state(true)).deployment.resources ?? [];
    const out: Record<string, unknown> = {};
    for (const r of res) if (String(r.type).startsWith("kernelhardening:index:")) out[String(r.urn).split("::").pop()!] = r.outputs;
    return out;
}

/** Lets the held apply go on, and waits until no apply runs on the host (the script's text names begin_apply). */
async function releaseAndDrain(vm: VmState): Promise<void> {
    await sh(vm, "touch /run/kh-go");
    const idle = async () => (await sh(vm, "pgrep -f '[b]egin_apply' >/dev/null || echo done")).trim() === "done";
    await waitFor("the apply to finish", idle);
}

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 240_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

function traceOf(file: string): Array<{ t: number; pid: number; op: string }> {
    return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
}

/** Runs `up` again as a user would: if the engine left a pending operation, refresh first (the CLI says to). */
async function upAgain(st: Stack): Promise<{ up: RunResult; refreshed: boolean }> {
    let up = await st.up();
    let refreshed = false;
    if (up.code !== 0 && /pending operation|interrupted while/i.test(up.output)) {
        const r = await st.refresh(["--clear-pending-creates"]);
        if (r.code !== 0) throw new Error(`refresh failed:\n${r.output}`);
        refreshed = true;
        up = await st.up();
    }
    return { up, refreshed };
}

async function uncut(vm: VmState, resources: ResourceSpec[], s: Subject) {
    await restore(vm);
    const st = await newStack(connectionFor(vm), resources);
    try {
        const up = await st.up();
        if (up.code !== 0) throw new Error(`uncut up failed:\n${up.output}`);
        return { host: await view(vm, s), outputs: await outputs(st) };
    } finally {
        st.cleanup();
    }
}

/** Each result as soon as it is known (a long run can be read while it goes on). */
const report = { push: (line: string) => process.stderr.write(`\n[faults] ${line}\n`) };

describe.each(["sysctl"])("the provider killed (SIGKILL) in the middle of the apply: %s", (name) => {
    test("the next up converges, the host and the state as after an uncut run", async () => {
        const vm = sharedVm();
        const s = SUBJECTS[name];
        const expected = await uncut(vm, s.a, s);

        await restore(vm);
        await sh(vm, SLOW_APPLY);
        const trace = join(mkdtempSync(join(tmpdir(), "kh-faults-")), "trace.jsonl");
        const st = await newStack(connectionFor(vm), s.a, { KH_TRACE_FILE: trace });
        try {
            const before = await view(vm, s);
            const run = st.start(["up", "--yes", "--skip-preview", "--stack", st.name]);
            await waitFor("the apply to reach its middle", async () => (await sh(vm, MID)).trim() === "y");
            const apply = traceOf(trace).find((l) => l.op.endsWith(".apply"));
            expect(apply).toBeDefined();
            process.kill(apply!.pid, "SIGKILL");
            const killed = await run.result;
            expect(killed.code).not.toBe(0);
            // Left by the dead provider, the apply finishes on the host (it ignores the hang-up) or
            // never changed anything: each file is its old or its new version, never a part.
            await releaseAndDrain(vm);
            const mid = await view(vm, s);
            const files = mid.files.map((f, i) => (f === before.files[i] ? "old" : f === expected.host.files[i] ? "new" : "partial"));
            expect(files).not.toContain("partial");
            expect((await sh(vm, TEMPS)).trim()).toBe("0");

            await sh(vm, "rm -f /usr/local/bin/sync");
            const { up, refreshed } = await upAgain(st);
            expect(up.code).toBe(0);
            expect((await st.preview(["--expect-no-changes"])).code).toBe(0);
            expect(await view(vm, s)).toEqual(expected.host);
            expect(await outputs(st)).toEqual(expected.outputs);
            report.push(`${s.name} create, provider SIGKILLed mid-apply: killed run exit ${killed.code}; files ${files.join("/")}; ` +
                `${refreshed ? "refresh --clear-pending-creates, then " : ""}up converged; host and state equal to an uncut run`);
        } finally {
            st.cleanup();
        }
    });
});

// Pulumi starts each plugin in its own process group, so a terminal's Ctrl-C reaches the CLI alone, as here.
test("Ctrl-C during an apply: the engine's Cancel reaches the provider, the apply in flight ends whole, nothing new starts, the next up converges", async () => {
    const vm = sharedVm();
    const s = SUBJECTS.sysctl;
    const three: ResourceSpec[] = ["a", "b", "c"].map((n, i) => ({
        type: "Sysctl",
        name: `cancel-${n}`,
        args: { file: `70-cancel-${n}.conf`, entries: { [["kernel.kptr_restrict", "vm.swappiness", "kernel.dmesg_restrict"][i]]: ["2", "10", "1"][i] } },
    }));
    const files = three.map((r) => `/etc/sysctl.d/${r.args.file}`);
    const subject: Subject = { ...s, files, live: "sysctl -n kernel.kptr_restrict vm.swappiness kernel.dmesg_restrict" };
    const expected = await uncut(vm, three, subject);

    await restore(vm);
    await sh(vm, SLOW_APPLY);
    const trace = join(mkdtempSync(join(tmpdir(), "kh-faults-")), "trace.jsonl");
    const st = await newStack(connectionFor(vm), three, { KH_TRACE_FILE: trace });
    try {
        const before = await view(vm, subject);
        // One resource at a time, so Ctrl-C lands while one apply runs and two are still to come.
        const run = st.start(["up", "--yes", "--skip-preview", "--parallel", "1", "--stack", st.name]);
        await waitFor("the first apply to reach its middle", async () => (await sh(vm, MID)).trim() === "y");
        run.child.kill("SIGINT"); // what a terminal's Ctrl-C reaches: the CLI (plugins have their own groups)
        try {
            await waitFor("the engine's Cancel", async () => traceOf(trace).some((l) => l.op === "cancel"), 120_000);
        } finally {
            await sh(vm, "touch /run/kh-go"); // the apply in flight goes on to its end
        }
        const cancelled = await run.result;
        expect(cancelled.code).not.toBe(0);
        const lines = traceOf(trace);
        const cancelAt = lines.find((l) => l.op === "cancel");
        expect(cancelAt).toBeDefined();
        const applies = lines.filter((l) => l.op === "sysctl.apply");
        expect(applies).toHaveLength(1);
        expect(lines.filter((l) => l.t > cancelAt!.t && l.op !== "cancel")).toEqual([]);
        await releaseAndDrain(vm);
        const mid = await view(vm, subject);
        const states = mid.files.map((f, i) => (f === before.files[i] ? "old" : f === expected.host.files[i] ? "new" : "partial"));
        expect(states.filter((x) => x === "new")).toHaveLength(1);
        expect(states).not.toContain("partial");
        expect((await sh(vm, TEMPS)).trim()).toBe("0");
        const recorded = Object.keys(await outputs(st));

        await sh(vm, "rm -f /usr/local/bin/sync");
        const { up, refreshed } = await upAgain(st);
        expect(up.code).toBe(0);
        expect((await st.preview(["--expect-no-changes"])).code).toBe(0);
        expect(await view(vm, subject)).toEqual(expected.host);
        expect(await outputs(st)).toEqual(expected.outputs);
        report.push(`Ctrl-C mid-apply (3 Sysctls, --parallel 1): exit ${cancelled.code}; Cancel reached the provider ` +
            `${cancelAt!.t - applies[0].t} ms after the apply started; 1 apply ran, none after Cancel; files ${states.join("/")}; ` +
            `state recorded ${JSON.stringify(recorded)}; ${refreshed ? "refresh, then " : ""}up converged`);
    } finally {
        st.cleanup();
    }
});

describe.each(["modules", "kernelpin", "lockdown"])("the provider killed (SIGKILL) in the middle of the apply: %s", (name) => {
    test("the next up converges, the host and the state as after an uncut run", async () => {
        const vm = sharedVm();
        const s = SUBJECTS[name];
        const expected = await uncut(vm, s.a, s);

        await restore(vm);
        await sh(vm, SLOW_APPLY);
        const trace = join(mkdtempSync(join(tmpdir(), "kh-faults-")), "trace.jsonl");
        const st = await newStack(connectionFor(vm), s.a, { KH_TRACE_FILE: trace });
        try {
            const before = await view(vm, s);
            const run = st.start(["up", "--yes", "--skip-preview", "--stack", st.name]);
            await waitFor("the apply to reach its middle", async () => (await sh(vm, MID)).trim() === "y");
            const apply = traceOf(trace).find((l) => l.op.endsWith(".apply"));
            expect(apply).toBeDefined();
            process.kill(apply!.pid, "SIGKILL");
            const killed = await run.result;
            expect(killed.code).not.toBe(0);
            // Left by the dead provider, the apply finishes on the host (it ignores the hang-up) or
            // never changed anything: each file is its old or its new version, never a part.
            await releaseAndDrain(vm);
            const mid = await view(vm, s);
            const files = mid.files.map((f, i) => (f === before.files[i] ? "old" : f === expected.host.files[i] ? "new" : "partial"));
            expect(files).not.toContain("partial");
            expect((await sh(vm, TEMPS)).trim()).toBe("0");

            await sh(vm, "rm -f /usr/local/bin/sync");
            const { up, refreshed } = await upAgain(st);
            expect(up.code).toBe(0);
            expect((await st.preview(["--expect-no-changes"])).code).toBe(0);
            expect(await view(vm, s)).toEqual(expected.host);
            expect(await outputs(st)).toEqual(expected.outputs);
            report.push(`${s.name} create, provider SIGKILLed mid-apply: killed run exit ${killed.code}; files ${files.join("/")}; ` +
                `${refreshed ? "refresh --clear-pending-creates, then " : ""}up converged; host and state equal to an uncut run`);
        } finally {
            st.cleanup();
        }
    });
});
