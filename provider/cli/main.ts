#!/usr/bin/env node
// `kernelhardening audit [user@]host[:port]`: the audit as a command, with the provider's own SSH
// layer (host keys verified, sudo -n), a table for people and --json for machines.
import { readFileSync } from "fs";
import { parseArgs } from "util";
import { ConnectionSchema } from "../ssh/connection";
import { pool } from "../ssh/pool";
import { auditFacts, auditHost } from "../functions/audit";
import { HostFacts } from "../audit/facts";
import { factsFromFiles, readLocalFacts } from "../audit/read";
import { Finding, Severity } from "../audit/audit";
import { escapeControls, formatTable } from "./table";

const USAGE = `usage: kernelhardening audit [user@]host[:port] [options]
       kernelhardening audit --local [options]            this machine, without SSH
       kernelhardening audit --config FILE [--cmdline FILE] [--sysctl FILE] [--arch x86_64|arm64] [options]

options:
  -p, --port N                 SSH port (default 22)
  -i, --identity FILE          private key file (default: the SSH agent)
      --password-env VAR       read the password from environment variable VAR
      --host-key KEY           pin the host key: "ssh-ed25519 AAAA…" or "SHA256:…"
      --known-hosts FILE       known_hosts file (default ~/.ssh/known_hosts)
      --insecure-ignore-host-key  accept any host key (throwaway hosts only)
      --sudo / --no-sudo       run through sudo -n (default: when the user is not root)
      --json                   print findings as JSON
      --fail-on SEVERITY       exit 1 when a finding at or above SEVERITY fails (low|medium|high|critical; default high)
      --failures-only          show only failing findings
exit status: 0 nothing fails at or above --fail-on, 1 something does, 2 usage or connection error`;

export async function main(argv: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
            port: { type: "string", short: "p" },
            identity: { type: "string", short: "i" },
            "password-env": { type: "string" },
            "host-key": { type: "string" },
            "known-hosts": { type: "string" },
            "insecure-ignore-host-key": { type: "boolean" },
            sudo: { type: "boolean" },
            "no-sudo": { type: "boolean" },
            json: { type: "boolean" },
            "fail-on": { type: "string" },
            "failures-only": { type: "boolean" },
            local: { type: "boolean" },
            config: { type: "string" },
            cmdline: { type: "string" },
            sysctl: { type: "string" },
            arch: { type: "string" },
            help: { type: "boolean", short: "h" },
        },
    });
    const offline = values.local === true || values.config !== undefined;
    if (values.help || positionals[0] !== "audit" || positionals.length !== (offline ? 1 : 2)) {
        process.stderr.write(USAGE + "\n");
        return values.help ? 0 : 2;
    }
    const failOn = (values["fail-on"] ?? "high") as Severity;
    if (!["low", "medium", "high", "critical"].includes(failOn)) {
        process.stderr.write(`kernelhardening: --fail-on must be low, medium, high or critical\n`);
        return 2;
    }
    if (offline) {
        let result;
        try {
            result = auditFacts(offlineFacts(values), failOn);
        } catch (err) {
            process.stderr.write(`kernelhardening: ${escapeControls((err as Error).message)}\n`);
            return 2;
        }
        return report(result, values, failOn);
    }
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(positionals[1]);
    if (!m) {
        process.stderr.write(`kernelhardening: cannot read the target ${JSON.stringify(positionals[1])}\n${USAGE}\n`);
        return 2;
    }
    const parsed = ConnectionSchema.safeParse({
        host: m[2].replace(/^\[|\]$/g, ""),
        port: Number(values.port ?? m[3] ?? 22),
        user: m[1] ?? "root",
        privateKey: values.identity ? readFileSync(values.identity, "utf8") : undefined,
        password: values["password-env"] ? process.env[values["password-env"]] : undefined,
        hostKey: values["host-key"],
        knownHostsPath: values["known-hosts"],
        insecureIgnoreHostKey: values["insecure-ignore-host-key"] ?? false,
        sudo: values.sudo ? true : values["no-sudo"] ? false : undefined,
    });
    if (!parsed.success) {
        process.stderr.write(`kernelhardening: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}\n`);
        return 2;
    }
    let result;
    try {
        result = await auditHost(parsed.data, failOn);
    } catch (err) {
        process.stderr.write(`kernelhardening: ${escapeControls((err as Error).message)}\n`);
        return 2;
    } finally {
        pool.closeAll();
    }
    return report(result, values, failOn);
}

type Result = ReturnType<typeof auditFacts>;

function offlineFacts(values: { local?: boolean; config?: string; cmdline?: string; sysctl?: string; arch?: string }): HostFacts {
    if (values.local) return readLocalFacts();
    const read = (p: string | undefined) => (p === undefined ? undefined : readFileSync(p, "utf8"));
    const f = factsFromFiles({ config: read(values.config)!, cmdline: read(values.cmdline), sysctl: read(values.sysctl), source: values.config! });
    if (values.arch) f.arch = values.arch;
    return f;
}

function report(result: Result, values: { json?: boolean; "failures-only"?: boolean }, failOn: Severity): number {    const shown: Finding[] = values["failures-only"] ? result.findings.filter((f) => f.status === "fail") : result.findings;
    if (values.json) {
        process.stdout.write(JSON.stringify({ ...result, findings: shown }, null, 2) + "\n");
    } else {
        process.stdout.write(formatTable(shown, { color: process.stdout.isTTY === true && !process.env.NO_COLOR }) + "\n");
        const s = result.summary;
        process.stdout.write(
            `\n${escapeControls(`${result.kernelRelease ?? "unknown kernel"} (config: ${result.kconfigSource ?? "not found"}`)}, lockdown: ${result.lockdown ?? "unknown"}): ${s.pass} pass, ${s.fail} fail, ${s.unknown} unknown; ${result.failures.length} failing at or above ${failOn}\n`,
        );
    }
    return result.failures.length > 0 ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code));
}
