// Schema of the audit function: its result types (output-only) and outputs; the arguments come from
// the function's model.
import { AuditArgsSchema } from "../provider/functions/audit";
import { typeRef, TypeSpec } from "./convert";
import { arrayOf, FunctionDef, int, ref, str } from "./outputs";

const finding: TypeSpec = {
    type: "object",
    description: "One check of the host against the post's or KSPP's recommendations.",
    properties: {
        id: str("Stable identifier, e.g. `kconfig.MODULE_SIG_FORCE`, `sysctl.kernel.kptr_restrict`, `runtime.lockdown`."),
        title: str("What is checked, in words."),
        category: str("`kconfig`, `cmdline`, `sysctl` or `runtime`."),
        source: str("Where the recommendation comes from: `cloudflare-post`, `kspp` or `kspp+post`."),
        severity: { $ref: typeRef("AuditSeverity"), description: "How much a failure matters." },
        status: str("`pass`, `fail`, or `unknown` when the host does not expose the information."),
        observed: str("What the host shows (absent when unknown)."),
        expected: str("What the recommendation asks for."),
        why: str("One line on why it matters."),
        fix: str("How to fix it: which resource of this package sets it, or which kernel build option is needed."),
        group: str("The kind of protection the check belongs to, e.g. `self_protection`, `security_policy`, `cut_attack_surface`."),
        differsFromKhc: str("Where this verdict differs on purpose from kernel-hardening-checker's, why."),
    },
    required: ["id", "title", "category", "source", "severity", "status", "expected", "why", "fix"],
};

const summary: TypeSpec = {
    type: "object",
    description: "Counts of the findings.",
    properties: {
        pass: int("Findings that pass."),
        fail: int("Findings that fail."),
        unknown: int("Findings the host gave no information for."),
        needsKernelRebuild: arrayOf("string", "Failing kconfig findings: they need a kernel built with other options."),
    },
    required: ["pass", "fail", "unknown", "needsKernelRebuild"],
};

export const auditSchema: FunctionDef = {
    token: "kernelhardening:index:audit",
    description:
        "Audits a host's kernel against the recommendations of Cloudflare's post on kernel security tunables and KSPP: the kernel build config (/boot/config-$(uname -r) or /proc/config.gz), /proc/cmdline, sysctls, the Lockdown level and LSM list, taint flags and module signature enforcement, all read in one SSH round trip. Nothing on the host is changed.",
    inputs: AuditArgsSchema,
    outputTypes: { AuditFinding: finding, AuditSummary: summary },
    outputs: {
        kernelRelease: str("`uname -r` of the host."),
        kconfigSource: str("Where the kernel build config was read from."),
        lockdown: str("The Lockdown level in force."),
        findings: { type: "array", items: { $ref: typeRef("AuditFinding") }, description: "Every check with its status." },
        failures: arrayOf("string", "Ids of findings that fail at or above minSeverity."),
        summary: ref("AuditSummary", "Counts of the findings."),
    },
    required: ["findings", "failures", "summary"],
};
