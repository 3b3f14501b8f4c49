// kernelhardening:index:audit — how a host stands against the post's and KSPP's advice.
import { ConnectionSchema } from "../ssh/connection";
import { zodFailures } from "../protocol/contract";
import { readFacts } from "../resources/audit/host";
import { audit, failsAtOrAbove, Severity, summarize } from "../resources/audit/checks";
import { FunctionHandler } from "./types";
import { z } from "zod/v4";

export const AUDIT_TOKEN = "kernelhardening:index:audit";

const ArgsSchema = z
    .object({
        connection: ConnectionSchema,
        /** Findings below this severity are left out of `failures` (all stay in `findings`). */
        minSeverity: z.enum(["low", "medium", "high", "critical"]).default("low"),
    })
    .strict();

/** Reads the host once and audits it; shared by the invoke, the component and the CLI. */
export async function auditHost(connection: z.output<typeof ConnectionSchema>, minSeverity: Severity = "low") {
    const facts = await readFacts(connection);
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
        const r = ArgsSchema.safeParse(args);
        return r.success ? { args: r.data, failures: [] } : { args, failures: zodFailures(r.error.issues) };
    },
    async invoke(args) {
        const a = ArgsSchema.parse(args);
        return auditHost(a.connection, a.minSeverity);
    },
};
