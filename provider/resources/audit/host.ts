// Reads every fact the audit needs in one SSH round trip.
import { Connection, endpoint } from "../../ssh/connection";
import { HostError } from "../../ssh/pool";
import { runScript } from "../../host/run";
import { encodeRecords, parseRecords, unb64 } from "../../host/records";
import { SH_PRELUDE } from "../../host/shell";
import { procPath } from "../sysctl/model";
import { AUDIT_SYSCTL_KEYS, HostFacts, parseKconfig, parseLockdown } from "./facts";

// Keys arrive on stdin (K key procpath); everything else is read from fixed paths.
export const AUDIT_SCRIPT =
    SH_PRELUDE +
    String.raw`
rel=$(uname -r); emit release "$(b64str "$rel")"; emit arch "$(b64str "$(uname -m)")"
if [ -r "/boot/config-$rel" ]; then emit kconfig "/boot/config-$rel" "$(b64file "/boot/config-$rel")"
elif [ -r /proc/config.gz ] && command -v zcat >/dev/null; then emit kconfig /proc/config.gz "$(zcat /proc/config.gz | base64 -w0)"
fi
[ -r /proc/cmdline ] && emit cmdline "$(b64file /proc/cmdline)"
[ -r /sys/kernel/security/lockdown ] && emit lockdown "$(b64file /sys/kernel/security/lockdown)"
[ -r /sys/kernel/security/lsm ] && emit lsm "$(b64file /sys/kernel/security/lsm)"
[ -r /proc/sys/kernel/tainted ] && emit tainted "$(b64file /proc/sys/kernel/tainted)"
[ -r /sys/module/module/parameters/sig_enforce ] && emit sig_enforce "$(b64file /sys/module/module/parameters/sig_enforce)"
while IFS="$TAB" read -r tag key path; do
  [ "$tag" = K ] || continue
  if v=$(cat "/proc/sys/$path" 2>/dev/null); then emit sysctl "$key" "$(b64str "$v")"; else emit nosysctl "$key"; fi
done
exit 0
`;

export function factsFromRecords(records: string[][]): HostFacts {
    const facts: HostFacts = {
        kernelRelease: null,
        kconfig: null,
        kconfigSource: null,
        cmdline: null,
        sysctls: {},
        lockdown: null,
        lsms: null,
        tainted: null,
        sigEnforce: null,
        arch: null,
    };
    for (const r of records) {
        const v = () => unb64(r[r.length - 1] ?? "").trim();
        switch (r[0]) {
            case "release":
                facts.kernelRelease = v();
                break;
            case "arch":
                facts.arch = v();
                break;
            case "kconfig":
                facts.kconfigSource = r[1];
                facts.kconfig = parseKconfig(unb64(r[2] ?? ""));
                break;
            case "cmdline":
                facts.cmdline = v();
                break;
            case "lockdown":
                facts.lockdown = parseLockdown(v());
                break;
            case "lsm":
                facts.lsms = v().split(",").filter(Boolean);
                break;
            case "tainted":
                facts.tainted = Number.parseInt(v(), 10);
                break;
            case "sig_enforce":
                facts.sigEnforce = v() === "Y";
                break;
            case "sysctl":
                facts.sysctls[r[1]] = unb64(r[2] ?? "").trim().split(/\s+/).join(" ");
                break;
            case "nosysctl":
                facts.sysctls[r[1]] = null;
                break;
        }
    }
    return facts;
}

export async function readFacts(c: Connection): Promise<HostFacts> {
    const stdin = encodeRecords(AUDIT_SYSCTL_KEYS.map((k) => ["K", k, procPath(k)]));
    const res = await runScript(c, AUDIT_SCRIPT, stdin, "audit.read");
    if (res.code !== 0) throw new HostError(`${endpoint(c)}: reading kernel facts failed (exit ${res.code}): ${res.stderr.trim()}`);
    return factsFromRecords(parseRecords(res.stdout));
}
