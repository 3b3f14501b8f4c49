// kernelhardening:index:audit — how a host stands against the post's and KSPP's advice.
import { ConnectionSchema } from "../ssh/connection";
import { zodFailures } from "../protocol/contract";
import { readFacts } from "../audit/read";
import { audit, failsAtOrAbove, Severity, summarize } from "../audit/audit";
import { FunctionHandler } from "./types";
import { HostFacts } from "../audit/facts";
import { z } from "zod/v4";

export const AUDIT_TOKEN = "kernelhardening:index:audit";

export const AuditArgsSchema = z
    .object({
        connection: ConnectionSchema,
        /** Findings below this severity are left out of `failures` (all stay in `findings`). */
        minSeverity: z.enum(["low", "medium", "high", "critical"])
            .meta({ pulumiType: "AuditSeverity", typeDescription: "How much a failing audit finding matters." })
            .default("low")
            .describe("Failing findings at or above this severity are listed in `failures`."),
    })
    .strict();

/** Reads the host once and audits it; shared by the invoke, the component and the CLI. */
export async function auditHost(connection: z.output<typeof ConnectionSchema>, minSeverity: Severity = "low") {
    return auditFacts(await readFacts(connection), minSeverity);
}

/** The same result from facts read any other way (the CLI's --local and --config). */
export function auditFacts(facts: HostFacts, minSeverity: Severity = "low") {
    const findings = audit(facts);
    const summary = summarize(findings);
    return {
        kernelRelease: facts.kernelRelease,
        kconfigSource: facts.kconfigSource,
        lockdown: facts.lockdown?.current ?? null,
        findings,
        failures: failsAtOrAbove(findings, minSeverity).map((f) => f.id),
        summary,
    };
}

export const auditFunction: FunctionHandler = {
    token: AUDIT_TOKEN,
    check(args) {
        const r = AuditArgsSchema.safeParse(args);
        return r.success ? { args: r.data, failures: [] } : { args, failures: zodFailures(r.error.issues) };
    },
    async invoke(args) {
        const a = AuditArgsSchema.parse(args);
        return auditHost(a.connection, a.minSeverity);
    },
};
