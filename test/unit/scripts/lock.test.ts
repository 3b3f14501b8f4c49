// The host lock (prelude.sh host_lock) with two applies at once: the second waits for the first,
// then fails naming it, and the owner record is the holder's, written whole.
import { spawnSync } from "child_process";
import { readFileSync, readdirSync, statSync } from "fs";
import { join } from "path";
import { APPLY_SCRIPT } from "../../../provider/resources/sysctl/host";
import { Case, cleanup, prepare, runScript, SHELLS, stdinOf } from "./harness";

const c: Case = {
    name: "lock",
    script: "sysctl.apply",
    tree: { "proc/sys/kernel/kptr_restrict": "0\n" },
    stdin: [["S", "kernel.kptr_restrict", "kernel/kptr_restrict", { b64: "2" }, { b64: "2" }], ["F", "90-post.conf"]],
    expect: { code: 0 },
};

describe.each(SHELLS)("%s", (shell) => {
    test("creates a root-only lock directory and an owner record naming the apply", () => {
        const run = runScript(shell, APPLY_SCRIPT, c);
        try {
            expect(run.code).toBe(0);
            const dir = join(run.root, "run/kernelhardening");
            expect(statSync(dir).mode & 0o777).toBe(0o700);
            expect(statSync(dir).uid).toBe(process.getuid?.());
            expect(readFileSync(join(dir, "owner"), "utf8")).toMatch(/^pid \d+ since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
            expect(readdirSync(dir).sort()).toEqual(["lock", "owner"]);
        } finally {
            cleanup(run.dir);
        }
    });

    test("a held lock: the apply waits KH_LOCK_WAIT seconds, then fails naming the holder; nothing changed", () => {
        const p = prepare(c);
        try {
            expect(runScript(shell, APPLY_SCRIPT, c, p).code).toBe(0);
            spawnSync("sh", ["-c", `printf '0\\n' > ${p.root}/proc/sys/kernel/kptr_restrict; cp ${p.root}/proc/sys/kernel/kptr_restrict ${p.fake}/state/kernel/`]);
            const lock = join(p.root, "run/kernelhardening/lock");
            // Another apply holds the lock (flock -n: hold it, then run the script while held).
            const held = spawnSync("flock", ["-n", lock, process.execPath, "-e", `
                const { spawnSync } = require("child_process");
                const r = spawnSync(${JSON.stringify(shell)}, ["-c", ${JSON.stringify(APPLY_SCRIPT)}], { argv0: "sh", env: ${JSON.stringify({ PATH: p.path, KH_ROOT: p.root, KH_FAKE: p.fake, KH_LOCK_WAIT: "1" })}, input: process.argv[1], encoding: "utf8" });
                process.stdout.write(JSON.stringify({ code: r.status, stderr: r.stderr }));
            `, stdinOf(c)], { encoding: "utf8" });
            const r = JSON.parse(held.stdout) as { code: number; stderr: string };
            expect(r.code).toBe(75);
            expect(r.stderr).toMatch(/^kernelhardening: host lock busy: pid \d+ since /);
            expect(readFileSync(join(p.root, "proc/sys/kernel/kptr_restrict"), "utf8")).toBe("0\n");
        } finally {
            cleanup(p.dir);
        }
    });
});
