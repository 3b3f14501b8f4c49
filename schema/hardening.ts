// Schema of the KernelHardening component: its outputs (the inputs come from the model).
import { HardeningBootObject } from "../provider/resources/kernelcmdline/profile";
import { typeRef } from "./convert";
import { arrayOf, bool, ref, ResourceDef, str, mapOf } from "./outputs";

const strList = (description: string) => arrayOf("string", description);

export const hardeningSchema: ResourceDef = {
    token: "kernelhardening:index:KernelHardening",
    isComponent: true,
    inputs: HardeningBootObject,
    description:
        "Applies a hardening profile to a host in one declaration: a Sysctl drop-in with the profile's settings, Lockdown, and optionally a kernel pin and a module blocklist, then audits the host.\n\nProfiles: `baseline` is the runtime settings of Cloudflare's post (kernel.kptr_restrict=2, kernel.dmesg_restrict=1, kernel.kexec_load_disabled=1) and Lockdown `integrity`; `strict` adds KSPP's sysctl recommendations. Settings that cannot be undone before a reboot (kernel.kexec_load_disabled, kernel.modules_disabled, Lockdown itself) are applied only with `allowOneWay: true`; otherwise they are listed in `skippedOneWay`. Keys this host's kernel does not have are listed in `unsupportedKeys` and warned about, never silently skipped.",
    outputs: {
        profile: { $ref: typeRef("Profile"), description: "The profile applied." },
        sysctlEntries: mapOf("string", "The sysctl settings the component set."),
        unsupportedKeys: strList("Profile keys this host's kernel does not have; not set."),
        skippedOneWay: strList("One-way settings left out because allowOneWay is false."),
        oneWayApplied: strList("One-way settings applied: they cannot be undone before a reboot."),
        lockdownLevel: str("The Lockdown level in force after apply, when Lockdown is managed."),
        rebootRequired: bool("Whether a reboot is needed for something declared to take effect."),
        auditSummary: ref("AuditSummary", "The host's audit after apply: passes, failures, and what still needs a kernel rebuild."),
        auditFailures: strList("Failing audit findings after apply, each with its fix."),
        leftAlone: strList("Profile keys left as they are because the host already has a stricter value (set exact to apply the profile's value anyway)."),
        bootParameters: mapOf("string", "The kernel parameters the component's KernelCmdline child owns."),
    },
    required: ["profile", "sysctlEntries", "unsupportedKeys", "skippedOneWay", "oneWayApplied", "rebootRequired"],
};
