// Schema of the audit function and its result types.
import { SchemaFragment, connectionInput, str, int } from "./schema";

const finding = {
    type: "object",
    description: "One check of the host against the post's or KSPP's recommendations.",
    properties: {
        id: str("Stable identifier, e.g. `kconfig.MODULE_SIG_FORCE`, `sysctl.kernel.kptr_restrict`, `runtime.lockdown`."),
        title: str("What is checked, in words."),
        category: str("`kconfig`, `cmdline`, `sysctl` or `runtime`."),
        source: str("Where the recommendation comes from: `cloudflare-post`, `kspp` or `kspp+post`."),
        severity: str("`low`, `medium`, `high` or `critical`."),
        status: str("`pass`, `fail`, or `unknown` when the host does not expose the information."),
        observed: str("What the host shows (absent when unknown)."),
        expected: str("What the recommendation asks for."),
        why: str("One line on why it matters."),
        fix: str("How to fix it: which resource of this package sets it, or which kernel build option is needed."),
    },
    required: ["id", "title", "category", "source", "severity", "status", "expected", "why", "fix"],
};

const summary = {
    type: "object",
    description: "Counts of the findings.",
    properties: {
        pass: int("Findings that pass."),
        fail: int("Findings that fail."),
        unknown: int("Findings the host gave no information for."),
        needsKernelRebuild: { type: "array", items: { type: "string" }, description: "Failing kconfig findings: they need a kernel built with other options." },
    },
    required: ["pass", "fail", "unknown", "needsKernelRebuild"],
};

export const auditSchema: SchemaFragment = {
    types: {
        "kernelhardening:index:AuditFinding": finding,
        "kernelhardening:index:AuditSummary": summary,
    },
    functions: {
        "kernelhardening:index:audit": {
            description:
                "Audits a host's kernel against the recommendations of Cloudflare's post on kernel security tunables and KSPP: the kernel build config (/boot/config-$(uname -r) or /proc/config.gz), /proc/cmdline, sysctls, the Lockdown level and LSM list, taint flags and module signature enforcement, all read in one SSH round trip. Nothing on the host is changed.",
            inputs: {
                properties: {
                    connection: connectionInput,
                    minSeverity: str("Failing findings at or above this severity are listed in `failures`: low, medium, high or critical.", { default: "low" }),
                },
                required: ["connection"],
            },
            outputs: {
                properties: {
                    kernelRelease: str("`uname -r` of the host."),
                    kconfigSource: str("Where the kernel build config was read from."),
                    lockdown: str("The Lockdown level in force."),
                    findings: { type: "array", items: { $ref: "#/types/kernelhardening:index:AuditFinding" }, description: "Every check with its status." },
                    failures: { type: "array", items: { type: "string" }, description: "Ids of findings that fail at or above minSeverity." },
                    summary: { $ref: "#/types/kernelhardening:index:AuditSummary", description: "Counts of the findings." },
                },
                required: ["findings", "failures", "summary"],
            },
        },
    },
};
