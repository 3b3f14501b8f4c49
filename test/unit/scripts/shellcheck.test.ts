// shellcheck over every script exactly as a host receives it (prelude + the resource's files), so
// names defined in one file and used in another are checked too (scripts/test.sh also runs it over
// each .sh file on its own).
import { spawnSync } from "child_process";
import * as sysctl from "../../../provider/resources/sysctl/host";
import * as modules from "../../../provider/resources/modules/host";
import * as kernelpin from "../../../provider/resources/kernelpin/host";

const SCRIPTS: Record<string, string> = {
    "sysctl observe": sysctl.OBSERVE_SCRIPT,
    "sysctl apply": sysctl.APPLY_SCRIPT,
    "modules observe": modules.OBSERVE_SCRIPT,
    "modules apply": modules.APPLY_SCRIPT,
    "kernelpin observe": kernelpin.OBSERVE_SCRIPT,
    "kernelpin apply": kernelpin.APPLY_SCRIPT,
};

test.each(Object.keys(SCRIPTS))("%s passes shellcheck as sent to hosts", (name) => {
    const r = spawnSync("shellcheck", ["-s", "sh", "-f", "gcc", "-"], { input: SCRIPTS[name], encoding: "utf8" });
    if (r.error) throw new Error(`shellcheck is not installed (Debian package shellcheck; scripts/install-deps.sh installs it): ${r.error.message}`);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
});
