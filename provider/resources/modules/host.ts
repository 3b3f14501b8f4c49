// ModuleBlocklist's remote operations, one round trip each: observe (the file, loaded modules) and
// apply (write or remove the file atomically, then observe).
import { Connection, endpoint } from "../../ssh/connection";
import { HostError } from "../../ssh/pool";
import { runScript } from "../../host/run";
import { b64, encodeRecords, parseRecords, unb64 } from "../../host/records";
import { shellScript } from "../../host/scripts";
import { ObservedBlocklist } from "./model";

export const OBSERVE_SCRIPT = shellScript(__dirname, "lib.sh", "observe.sh");

export const APPLY_SCRIPT = shellScript(__dirname, "lib.sh", "apply.sh");

function parse(out: Buffer): ObservedBlocklist {
    const obs: ObservedBlocklist = { file: null, loaded: [] };
    for (const r of parseRecords(out)) {
        if (r[0] === "file") obs.file = unb64(r[1] ?? "");
        if (r[0] === "loaded") obs.loaded = unb64(r[1] ?? "").trim().split(/\s+/).filter(Boolean);
    }
    return obs;
}

export async function observeBlocklist(c: Connection, file: string): Promise<ObservedBlocklist> {
    const res = await runScript(c, OBSERVE_SCRIPT, encodeRecords([["F", file]]), "modules.observe");
    if (res.code !== 0) throw new HostError(`${endpoint(c)}: reading /etc/modprobe.d/${file} failed: ${res.stderr.trim()}`);
    return parse(res.stdout);
}

/**
 * Ensures the file has `content` (written only when it differs), or is absent for "delete". A file
 * of that name that this provider did not write is refused, unless `adopt`: then it is taken over
 * and its original put back on delete.
 */
export async function applyBlocklist(c: Connection, file: string, content: string | "delete", adopt = false): Promise<ObservedBlocklist> {
    const step = content === "delete" ? ["R"] : ["W", b64(content), adopt ? "adopt" : "new"];
    const res = await runScript(c, APPLY_SCRIPT, encodeRecords([["F", file], step]), "modules.apply");
    const out = parseRecords(res.stdout);
    if (out.some((r) => r[0] === "foreign")) {
        throw new HostError(
            `${endpoint(c)}: /etc/modprobe.d/${file} exists and was not written by this provider (no "Managed by Pulumi" header); ` +
                "it was left untouched. Choose another file name, or set adopt: true to take it over (its content is put back on delete)",
        );
    }
    const failed = out.find((r) => r[0] === "failed");
    if (failed) throw new HostError(`${endpoint(c)}: ${unb64(failed[1] ?? "")}`);
    if (res.code !== 0) throw new HostError(`${endpoint(c)}: writing /etc/modprobe.d/${file} failed (exit ${res.code}): ${res.stderr.trim()}`);
    return parse(res.stdout);
}
