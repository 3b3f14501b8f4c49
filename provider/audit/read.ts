// Reads every fact the audit needs in one SSH round trip (facts.sh), and the same facts from the
// machine itself or from files on disk (the CLI's --local and --config).
import { spawnSync } from "child_process";
import { Connection, endpoint } from "../ssh/connection";
import { HostError } from "../ssh/pool";
import { runScript } from "../host/run";
import { encodeRecords, parseRecords, unb64 } from "../host/records";
import { shellScript } from "../host/scripts";
import { procPath } from "../resources/sysctl/model";
import { HostFacts, emptyFacts, kconfigVersion, parseKconfig } from "./facts";
import { parseLockdown } from "./lockdown";
import { AUDIT_SYSCTL_KEYS } from "./rules/sysctl";

export const AUDIT_SCRIPT = shellScript(__dirname, "facts.sh");

/** At most this much of any one fact is kept: a hostile host cannot make us hold more. */
const MAX_FACT = 4 << 20;

export function factsFromRecords(records: string[][]): HostFacts {
    const facts = emptyFacts();
    for (const r of records) {
        const raw = (i: number) => unb64(r[i] ?? "").slice(0, MAX_FACT);
        const v = () => raw(r.length - 1).trim();
        switch (r[0]) {
            case "release":
                facts.kernelRelease = v();
                break;
            case "arch":
                facts.arch = v();
                break;
            case "kconfig": {
                facts.kconfigSource = raw(1);
                const text = raw(2);
                facts.kconfig = parseKconfig(text);
                facts.kconfigVersion = kconfigVersion(text);
                break;
            }
            case "cmdline":
                facts.cmdline = v();
                break;
            case "lockdown":
                facts.lockdown = parseLockdown(v());
                break;
            case "lsm":
                facts.lsms = v().split(",").filter(Boolean);
                break;
            case "tainted": {
                const n = Number.parseInt(v(), 10);
                facts.tainted = Number.isFinite(n) ? n : null;
                break;
            }
            case "sig_enforce":
                facts.sigEnforce = v() === "Y";
                break;
            case "sysctl":
                if (AUDIT_SYSCTL_KEYS.includes(r[1])) facts.sysctls[r[1]] = raw(2).trim().split(/\s+/).join(" ");
                break;
            case "nosysctl":
                if (AUDIT_SYSCTL_KEYS.includes(r[1])) facts.sysctls[r[1]] = null;
                break;
        }
    }
    return facts;
}

export function auditInput(): string {
    return encodeRecords(AUDIT_SYSCTL_KEYS.map((k) => ["K", k, procPath(k)]));
}

export async function readFacts(c: Connection): Promise<HostFacts> {
    const res = await runScript(c, AUDIT_SCRIPT, auditInput(), "audit.read");
    if (res.code !== 0) {
        throw new HostError(
            `${endpoint(c)}: reading kernel facts failed (exit ${res.code}): ${res.stderr.trim().slice(0, 2000)}`,
        );
    }
    return factsFromRecords(parseRecords(res.stdout));
}

/** The same script run on this machine, without SSH (the CLI's --local). */
export function readLocalFacts(): HostFacts {
    const res = spawnSync("sh", ["-c", AUDIT_SCRIPT], { input: auditInput(), maxBuffer: 64 << 20 });
    if (res.error) throw res.error;
    if (res.status !== 0)
        throw new Error(
            `reading kernel facts failed (exit ${res.status}): ${res.stderr.toString().trim().slice(0, 2000)}`,
        );
    return factsFromRecords(parseRecords(res.stdout));
}

/** Offline: a .config on disk, and optionally a command line and `sysctl -a` output. */
export function factsFromFiles(files: {
    config: string;
    cmdline?: string;
    sysctl?: string;
    source: string;
}): HostFacts {
    const f = emptyFacts();
    f.kconfig = parseKconfig(files.config);
    f.kconfigVersion = kconfigVersion(files.config);
    f.kconfigSource = files.source;
    if (files.cmdline !== undefined) f.cmdline = files.cmdline.trim();
    if (files.sysctl !== undefined) {
        const given = parseSysctlDump(files.sysctl);
        // Keys missing from a full dump are missing on that kernel.
        for (const k of AUDIT_SYSCTL_KEYS) f.sysctls[k] = given.get(k) ?? null;
    }
    return f;
}

/** `sysctl -a` output: `key = value` lines. */
export function parseSysctlDump(text: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const line of text.split(/\r?\n/)) {
        const m = /^\s*([A-Za-z0-9_.\-/]+)\s*=\s*(.*?)\s*$/.exec(line);
        if (m) out.set(m[1].replace(/\//g, "."), m[2].split(/\s+/).join(" "));
    }
    return out;
}
