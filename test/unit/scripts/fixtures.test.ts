// The remote scripts against fake trees, from the fixture files in test/fixtures/scripts (one file
// per resource, a case per operation and situation), under dash (Debian's /bin/sh) and bash.
import * as sysctl from "../../../provider/resources/sysctl/host";
import * as modules from "../../../provider/resources/modules/host";
import * as kernelpin from "../../../provider/resources/kernelpin/host";
import * as kernelcmdline from "../../../provider/resources/kernelcmdline/host";
import * as lockdown from "../../../provider/resources/lockdown/host";
import { cleanup, entryNow, fields, leftoverTemps, loadCases, rooted, runScript, SHELLS } from "./harness";
import { readFileSync, existsSync } from "fs";
import { join } from "path";

const SCRIPTS: Record<string, string> = {
    "sysctl.observe": sysctl.OBSERVE_SCRIPT,
    "sysctl.apply": sysctl.APPLY_SCRIPT,
    "modules.observe": modules.OBSERVE_SCRIPT,
    "modules.apply": modules.APPLY_SCRIPT,
    "kernelpin.observe": kernelpin.OBSERVE_SCRIPT,
    "kernelpin.apply": kernelpin.APPLY_SCRIPT,
    // boot.json: the boot-configuration module (boot/boot.sh) as both resources built on it send it.
    "kernelcmdline.observe": kernelcmdline.OBSERVE_SCRIPT,
    "kernelcmdline.apply": kernelcmdline.APPLY_SCRIPT,
    "lockdown.apply": lockdown.APPLY_SCRIPT,
};

describe.each(["sysctl.json", "modules.json", "kernelpin.json", "boot.json"])("%s", (file) => {
    const cases = loadCases(file);
    test.each(cases.flatMap((c) => SHELLS.map((sh) => [c.name, sh, c] as const)))("%s (%s)", (_name, shell, c) => {
        const script = SCRIPTS[c.script];
        expect(script).toBeDefined();
        const run = runScript(shell, script, c);
        try {
            const got = { code: run.code, stderr: run.stderr };
            expect(got).toEqual({ code: c.expect.code, stderr: c.expect.stderr ? expect.stringMatching(new RegExp(c.expect.stderr)) : "" });
            if (c.expect.records) expect(run.records).toEqual(fields(c.expect.records, run.root));
            for (const r of fields(c.expect.includes ?? [], run.root)) expect(run.records).toContainEqual(r);
            for (const [p, want] of Object.entries(c.expect.files ?? {})) {
                const w = want !== null && typeof want === "object" ? { link: rooted(want.link, run.root) } : want;
                expect([p, entryNow(run.root, p)]).toEqual([p, w]);
            }
            for (const [p, want] of Object.entries(c.expect.fake ?? {})) {
                const full = join(run.fake, p);
                expect([p, existsSync(full) ? readFileSync(full, "utf8") : null]).toEqual([p, want]);
            }
            expect(leftoverTemps(run.root)).toEqual([]);
        } finally {
            cleanup(run.dir);
        }
    });
});
