// ModuleBlocklist's remote operations, one round trip each: observe (the file, loaded modules) and
// apply (write or remove the file atomically, then observe).
import { Connection, endpoint } from "../../ssh/connection";
import { HostError } from "../../ssh/pool";
import { runScript } from "../../host/run";
import { b64, encodeRecords, parseRecords, unb64 } from "../../host/records";
import { SH_PRELUDE } from "../../host/shell";

export interface ObservedBlocklist {
    file: string | null;
    /** Modules loaded now (from /proc/modules). */
    loaded: string[];
}

const OBSERVE = String.raw`
observe() {
  if [ -f "/etc/modprobe.d/$1" ]; then emit file "$(b64file "/etc/modprobe.d/$1")"; else emit nofile; fi
  emit loaded "$(cut -d' ' -f1 /proc/modules | tr '\n' ' ' | base64 -w0)"
}
IFS="$TAB" read -r tag name content || true
[ "$tag" = F ] || exit 64
`;

export const OBSERVE_SCRIPT = SH_PRELUDE + OBSERVE + 'observe "$name"\n';

export const APPLY_SCRIPT =
    SH_PRELUDE +
    OBSERVE +
    String.raw`
begin_apply
mkdir -p /etc/modprobe.d
remove_stale_temps "/etc/modprobe.d/$name"
if [ "$content" = "-" ]; then
  if [ -e "/etc/modprobe.d/$name" ]; then rm -f "/etc/modprobe.d/$name"; sync /etc/modprobe.d 2>/dev/null || sync; emit removed; fi
elif ! { [ -f "/etc/modprobe.d/$name" ] && [ "$(b64file "/etc/modprobe.d/$name")" = "$content" ]; }; then
  if ! unb64 "$content" | atomic_write "/etc/modprobe.d/$name" 0644; then emit failed; exit 4; fi
  emit wrote
fi
observe "$name"
`;

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

/** Ensures the file has `content` (written only when it differs), or is absent for "delete". */
export async function applyBlocklist(c: Connection, file: string, content: string | "delete"): Promise<ObservedBlocklist> {
    const res = await runScript(c, APPLY_SCRIPT, encodeRecords([["F", file, content === "delete" ? "-" : b64(content)]]), "modules.apply");
    if (res.code !== 0) throw new HostError(`${endpoint(c)}: writing /etc/modprobe.d/${file} failed (exit ${res.code}): ${res.stderr.trim()}`);
    return parse(res.stdout);
}
