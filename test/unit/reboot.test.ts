// HostReboot's decisions and checks, and its bounded wait against a host that never comes back.
import { createServer } from "net";
import { diffReboot, hasExpectations, notInForce, rebootReasons } from "../../provider/resources/reboot/plan";
import { HostRebootInputsSchema } from "../../provider/resources/reboot/model";
import { waitForNewBoot, Probe } from "../../provider/resources/reboot/host";
import { ConnectionSchema } from "../../provider/ssh/connection";
import { zodFailures } from "../../provider/protocol/contract";
import { bootParameters, COSTLY_BOOT, HardeningBootObject, STRICT_BOOT } from "../../provider/resources/kernelcmdline/profile";

const conn = { host: "h" };
const parse = (p: Record<string, unknown>) => HostRebootInputsSchema.parse({ connection: conn, ...p });
const probe = (cmdline: string, lockdown: string | null = "[none] integrity confidentiality"): Probe => ({ bootId: "b", cmdline, lockdown, uptimeSeconds: 1 });

test("reboots only when a watched output is true, or triggers change after create", () => {
    expect(rebootReasons(parse({ rebootRequired: [false, false] }))).toEqual([]);
    expect(rebootReasons(parse({ rebootRequired: [false, true] }))).toEqual(["1 watched resource needs a reboot"]);
    expect(rebootReasons(parse({ rebootRequired: [true] }))).toEqual(["1 watched resource needs a reboot"]);
    // at create, triggers alone do not reboot
    expect(rebootReasons(parse({ triggers: ["v1"] }))).toEqual([]);
    expect(rebootReasons(parse({ triggers: ["v2"] }), { triggers: ["v1"] })).toEqual(["its triggers changed"]);
    expect(rebootReasons(parse({ triggers: ["v1"] }), { triggers: ["v1"] })).toEqual([]);
});

test("a second up plans nothing once the watched outputs are false again", () => {
    const news = parse({ rebootRequired: [false], expectCmdline: { "module.sig_enforce": "1" } });
    const olds = { ...parse({ rebootRequired: [true], expectCmdline: { "module.sig_enforce": "1" } }), host: "h", port: 22 };
    expect(diffReboot(olds, news)).toEqual([]);
    expect(diffReboot(olds, parse({ rebootRequired: [true], expectCmdline: { "module.sig_enforce": "1" } }))).toEqual([{ path: "rebootRequired", kind: "update" }]);
    expect(diffReboot({ ...olds, host: "other" }, news)).toEqual([{ path: "connection.host", kind: "update", replace: true }]);
});

test("verification: expected parameters on /proc/cmdline and the lockdown level", () => {
    const inp = parse({ expectCmdline: { "module.sig_enforce": "1", slab_nomerge: "" }, expectLockdown: "integrity" });
    expect(hasExpectations(inp)).toBe(true);
    expect(hasExpectations(parse({}))).toBe(false);
    expect(notInForce(inp, probe("BOOT_IMAGE=/v ro module.sig_enforce=1 slab_nomerge", "none [integrity] confidentiality"))).toEqual([]);
    expect(notInForce(inp, probe("BOOT_IMAGE=/v ro module.sig_enforce=0"))).toEqual([
        "module.sig_enforce=1 (/proc/cmdline has module.sig_enforce=0)",
        "slab_nomerge (/proc/cmdline does not have it)",
        "lockdown integrity (the kernel is at none)",
    ]);
    // a higher level is fine
    expect(notInForce(parse({ expectLockdown: "integrity" }), probe("", "none integrity [confidentiality]"))).toEqual([]);
});

test("check: bad inputs name the property", () => {
    const r = HostRebootInputsSchema.safeParse({ connection: conn, timeoutSeconds: 5, expectCmdline: { "a b": "1" }, expectLockdown: "none" });
    expect(r.success).toBe(false);
    const reasons = zodFailures(r.success ? [] : r.error.issues).map((f) => f.reason);
    expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^timeoutSeconds: /), expect.stringMatching(/^expectCmdline\["a b"\]: /), expect.stringMatching(/^expectLockdown: /)]));
});

test("a host that never comes back fails after the bounded wait, naming host:port", async () => {
    // A port that accepts and drops connections, like a forwarded port whose guest is down.
    const srv = createServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as { port: number }).port;
    try {
        const c = ConnectionSchema.parse({ host: "127.0.0.1", port, privateKey: "x", insecureIgnoreHostKey: true, perDialTimeout: 2 });
        const t = Date.now();
        await expect(waitForNewBoot(c, "old", 8)).rejects.toThrow(new RegExp(`^127\\.0\\.0\\.1:${port}: did not come back within 8 s after the reboot \\(last: `));
        expect(Date.now() - t).toBeLessThan(20_000);
    } finally {
        srv.close();
    }
}, 30_000);

test("strict boot parameters: KSPP's, each with a reason; costly ones only when named; overrides and exclusions", () => {
    const all = [...Object.values(STRICT_BOOT), ...Object.values(COSTLY_BOOT)];
    for (const p of all) expect(p.reason.length).toBeGreaterThan(20);
    const base = { kernelCmdline: undefined, costlyBootParameters: [], excludeBootParameters: [] };
    expect(bootParameters({ ...base, profile: "baseline" })).toEqual({});
    const strict = bootParameters({ ...base, profile: "strict" });
    expect(strict).toMatchObject({ "module.sig_enforce": "1", init_on_alloc: "1", slab_nomerge: "" });
    expect(strict.nosmt).toBeUndefined();
    expect(bootParameters({ ...base, profile: "strict", costlyBootParameters: ["nosmt"], excludeBootParameters: ["debugfs"], kernelCmdline: { pti: "auto" } })).toMatchObject({ nosmt: "", pti: "auto" });
    expect(bootParameters({ ...base, profile: "strict", excludeBootParameters: ["debugfs"] }).debugfs).toBeUndefined();
    expect(HardeningBootObject.safeParse({ connection: conn, costlyBootParameters: ["rm -rf"] }).success).toBe(false);
    expect(HardeningBootObject.parse({ connection: conn }).reboot).toBe("never");
});
