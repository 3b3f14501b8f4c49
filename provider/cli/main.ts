#!/usr/bin/env node
// `kernelhardening audit`: the audit as a command, with the provider's own SSH layer (host keys
// verified, sudo -n), a table for people and --json for machines; many hosts at once with a fleet
// report; or offline (--local, --config).
import { readFileSync, writeFileSync } from "fs";
import { parseArgs } from "util";
import { ConnectionSchema } from "../ssh/connection";
import { pool } from "../ssh/pool";
import { auditFacts, auditHost } from "../functions/audit";
import { HostFacts } from "../audit/facts";
import { factsFromFiles, readLocalFacts } from "../audit/read";
import { Finding, Severity } from "../audit/audit";
import { escapeControls, formatTable } from "./table";
import { mapBounded, parseTarget, progress, readInventory, Target } from "./fleet";
import { renderHtml } from "./report";

const USAGE = `usage: kernelhardening audit [user@]host[:port]... [--inventory FILE] [options]
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
      --inventory FILE         more hosts, one [user@]host[:port] a line (# comments)
      --parallel N             hosts audited at once (default 8)
      --html FILE              write a self-contained HTML report (host x finding matrix)
      --json-out FILE          write the results as JSON to FILE
      --json                   print findings as JSON
      --fail-on SEVERITY       exit 1 when a finding at or above SEVERITY fails (low|medium|high|critical; default high)
      --failures-only          show only failing findings
exit status: 0 nothing fails at or above --fail-on, 1 something does, 2 usage or connection error`;

const OPTIONS = {
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
    inventory: { type: "string" },
    parallel: { type: "string" },
    html: { type: "string" },
    "json-out": { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];
type Result = ReturnType<typeof auditFacts>;
interface HostResult {
    target: string;
    result?: Result;
    error?: string;
}

const say = (s: string) => process.stderr.write(`kernelhardening: ${escapeControls(s)}\n`);

export async function main(argv: string[]): Promise<number> {
    let parsedArgs;
    try {
        parsedArgs = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
    } catch (err) {
        say(`${(err as Error).message}\n${USAGE}`);
        return 2;
    }
    const { values, positionals } = parsedArgs;
    const offline = values.local === true || values.config !== undefined;
    const fleetGiven = positionals.length > 2 || values.inventory !== undefined;
    if (
        values.help ||
        positionals[0] !== "audit" ||
        (offline ? positionals.length !== 1 : positionals.length < 2 && !fleetGiven)
    ) {
        process.stderr.write(USAGE + "\n");
        return values.help ? 0 : 2;
    }
    const failOn = (values["fail-on"] ?? "high") as Severity;
    if (!["low", "medium", "high", "critical"].includes(failOn)) {
        say("--fail-on must be low, medium, high or critical");
        return 2;
    }
    if (offline) {
        try {
            return report(auditFacts(offlineFacts(values), failOn), values, failOn);
        } catch (err) {
            say((err as Error).message);
            return 2;
        }
    }
    let targets: Target[];
    try {
        targets = positionals.slice(1).map((s) => {
            const t = parseTarget(s);
            if (!t) throw new Error(`cannot read the target ${JSON.stringify(s)}`);
            return t;
        });
        if (values.inventory) targets.push(...readInventory(values.inventory));
    } catch (err) {
        say(`${(err as Error).message}\n${USAGE}`);
        return 2;
    }
    const parallel = Number(values.parallel ?? 8);
    if (!Number.isInteger(parallel) || parallel < 1) {
        say("--parallel must be a positive integer");
        return 2;
    }
    const fleet =
        targets.length > 1 ||
        values.inventory !== undefined ||
        values.html !== undefined ||
        values["json-out"] !== undefined;
    const shown = progress(fleet ? targets.length : 0);
    let results: HostResult[];
    try {
        results = await mapBounded(targets, parallel, async (t) => {
            const r = await auditTarget(t, values, failOn);
            shown.done(t.label, r.error === undefined);
            return r;
        });
    } finally {
        shown.end();
        pool.closeAll();
    }
    if (!fleet) {
        const r = results[0];
        if (r.error !== undefined) {
            say(r.error);
            return 2;
        }
        return report(r.result!, values, failOn);
    }
    return fleetReport(results, values, failOn);
}

async function auditTarget(t: Target, values: Values, failOn: Severity): Promise<HostResult> {
    const parsed = ConnectionSchema.safeParse({
        host: t.host,
        port: Number(t.port ?? values.port ?? 22),
        user: t.user ?? "root",
        privateKey: values.identity ? readFileSync(values.identity, "utf8") : undefined,
        password: values["password-env"] ? process.env[values["password-env"]] : undefined,
        hostKey: values["host-key"],
        knownHostsPath: values["known-hosts"],
        insecureIgnoreHostKey: values["insecure-ignore-host-key"] ?? false,
        sudo: values.sudo ? true : values["no-sudo"] ? false : undefined,
    });
    if (!parsed.success)
        return {
            target: t.label,
            error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
        };
    try {
        return { target: t.label, result: await auditHost(parsed.data, failOn) };
    } catch (err) {
        return { target: t.label, error: (err as Error).message };
    }
}

function offlineFacts(values: Values): HostFacts {
    if (values.local) return readLocalFacts();
    const read = (p: string | undefined) => (p === undefined ? undefined : readFileSync(p, "utf8"));
    const f = factsFromFiles({
        config: read(values.config)!,
        cmdline: read(values.cmdline),
        sysctl: read(values.sysctl),
        source: values.config!,
    });
    if (values.arch) f.arch = values.arch;
    return f;
}

function report(result: Result, values: Values, failOn: Severity): number {
    const shown: Finding[] = values["failures-only"]
        ? result.findings.filter((f) => f.status === "fail")
        : result.findings;
    if (values.json) {
        process.stdout.write(JSON.stringify({ ...result, findings: shown }, null, 2) + "\n");
    } else {
        process.stdout.write(
            formatTable(shown, { color: process.stdout.isTTY === true && !process.env.NO_COLOR }) + "\n",
        );
        process.stdout.write(`\n${summaryLine(result, failOn)}\n`);
    }
    return result.failures.length > 0 ? 1 : 0;
}

function summaryLine(r: Result, failOn: Severity): string {
    const s = r.summary;
    const where = escapeControls(`${r.kernelRelease ?? "unknown kernel"} (config: ${r.kconfigSource ?? "not found"}`);
    return (
        `${where}, lockdown: ${r.lockdown ?? "unknown"}): ${s.pass} pass, ${s.fail} fail, ${s.unknown} unknown; ` +
        `${r.failures.length} failing at or above ${failOn}`
    );
}

/** Many hosts: one line each (or JSON), the report files, and the worst exit status. */
function fleetReport(results: HostResult[], values: Values, failOn: Severity): number {
    const json = results.map((r) =>
        r.error !== undefined ? { target: r.target, error: r.error } : { target: r.target, ...r.result! },
    );
    if (values["json-out"]) writeFileSync(values["json-out"], JSON.stringify(json, null, 2) + "\n");
    if (values.html) {
        writeFileSync(
            values.html,
            renderHtml(
                results.map((r) => ({
                    target: r.target,
                    error: r.error,
                    kernelRelease: r.result?.kernelRelease,
                    lockdown: r.result?.lockdown,
                    findings: r.result?.findings,
                })),
            ),
        );
    }
    if (values.json) process.stdout.write(JSON.stringify(json, null, 2) + "\n");
    else {
        for (const r of results) {
            const line =
                r.error !== undefined ? `unreachable: ${escapeControls(r.error)}` : summaryLine(r.result!, failOn);
            process.stdout.write(`${escapeControls(r.target)}: ${line}\n`);
        }
    }
    if (results.some((r) => r.error !== undefined)) return 2;
    return results.some((r) => r.result!.failures.length > 0) ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code));
}
