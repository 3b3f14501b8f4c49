// The audit's remote script (provider/audit/facts.sh) as a host receives it: shellcheck clean, and
// run for real on this machine under dash and bash (it only reads), its records parse into facts.
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { release } from "os";
import { AUDIT_SCRIPT, auditInput, factsFromRecords } from "../../provider/audit/read";
import { parseRecords } from "../../provider/host/records";
import { AUDIT_SYSCTL_KEYS } from "../../provider/audit/rules/sysctl";

test("passes shellcheck as sent to hosts", () => {
    // SC2034/SC2317: prelude helpers this read-only script does not use (the apply helpers).
    const r = spawnSync("shellcheck", ["-s", "sh", "-f", "gcc", "-e", "SC2034,SC2317", "-"], { input: AUDIT_SCRIPT, encoding: "utf8" });
    if (r.error) throw new Error(`shellcheck is not installed: ${r.error.message}`);
    expect(r.stdout).toBe("");
});

test.each(["dash", "bash"])("reads this machine's facts under %s", (shell) => {
    const r = spawnSync(shell, ["-c", AUDIT_SCRIPT], { input: auditInput(), maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    const f = factsFromRecords(parseRecords(r.stdout));
    expect(f.kernelRelease).toBe(release());
    expect(f.cmdline).toBe(readFileSync("/proc/cmdline", "utf8").trim());
    expect(Object.keys(f.sysctls).sort()).toEqual([...AUDIT_SYSCTL_KEYS].sort());
    expect(f.sysctls["kernel.randomize_va_space"]).toBe(readFileSync("/proc/sys/kernel/randomize_va_space", "utf8").trim());
    expect(f.tainted).toBe(Number(readFileSync("/proc/sys/kernel/tainted", "utf8")));
});

test("keeps only the keys it asked for, whatever a host sends", () => {
    const f = factsFromRecords([["sysctl", "evil.key", Buffer.from("1").toString("base64")], ["tainted", Buffer.from("x").toString("base64")]]);
    expect(f.sysctls).toEqual({});
    expect(f.tainted).toBeNull();
});
