// Schema of the KernelHardening component.
import { SchemaFragment, connectionInput, str, bool, strMap, ref } from "./schema";

const strList = (description: string) => ({ type: "array", items: { type: "string" }, description });

export const hardeningSchema: SchemaFragment = {
    types: {
        "kernelhardening:index:KernelPinSettings": {
            type: "object",
            description: "Which kernel packages to hold, and at which version (see KernelPackagePin).",
            properties: {
                packages: strList("Packages to pin. Default: the kernel image meta-package installed and the versioned image package it depends on."),
                version: str("Version to pin. Default: the version installed now."),
            },
        },
    },
    resources: {
        "kernelhardening:index:KernelHardening": {
            isComponent: true,
            description:
                "Applies a hardening profile to a host in one declaration: a Sysctl drop-in with the profile's settings, Lockdown, and optionally a kernel pin and a module blocklist, then audits the host.\n\nProfiles: `baseline` is the runtime settings of Cloudflare's post (kernel.kptr_restrict=2, kernel.dmesg_restrict=1, kernel.kexec_load_disabled=1) and Lockdown `integrity`; `strict` adds KSPP's sysctl recommendations. Settings that cannot be undone before a reboot (kernel.kexec_load_disabled, kernel.modules_disabled, Lockdown itself) are applied only with `allowOneWay: true`; otherwise they are listed in `skippedOneWay`. Keys this host's kernel does not have are listed in `unsupportedKeys` and warned about, never silently skipped.",
            inputProperties: {
                connection: connectionInput,
                profile: str("`baseline` (the post's runtime settings and Lockdown integrity) or `strict` (adds KSPP's sysctls).", { default: "baseline" }),
                overrides: strMap("Per-key values that replace or add to the profile's, e.g. `{\"kernel.yama.ptrace_scope\": \"3\"}`."),
                exclude: strList("Profile keys to leave alone."),
                allowOneWay: bool("Opt-in for settings that cannot be undone before a reboot: the one-way sysctls and Lockdown.", { default: false }),
                lockdownMode: str("Lockdown level to raise to when allowOneWay is set: `integrity` or `confidentiality`.", { default: "integrity" }),
                sysctlFile: str("File name of the Sysctl drop-in under /etc/sysctl.d. The default sorts after the distribution's drop-ins so the profile's values win at boot.", { default: "99-zz-kernelhardening.conf" }),
                kernelPin: ref("KernelPinSettings", "Also hold the kernel packages at a version (a KernelPackagePin child)."),
                moduleBlocklist: strList("Kernel modules that may not be loaded, written under /etc/modprobe.d (a ModuleBlocklist child), e.g. dev-sec's `[\"cramfs\", \"freevxfs\", \"jffs2\", \"hfs\", \"hfsplus\", \"udf\", \"dccp\", \"rds\", \"sctp\", \"tipc\"]`."),
                // Boot-time hardening (provider/resources/kernelcmdline/profile.ts).
                reboot: str("`ifRequired`: a HostReboot child reboots the host when a child needs it (the boot parameters) and verifies them after; `never`: rebootRequired only says so.", { default: "never" }),
                kernelCmdline: strMap("Kernel parameters to add to (or replace in) the profile's boot parameters (a KernelCmdline child), e.g. `{\"module.sig_enforce\": \"1\"}`; an empty value is a bare flag."),
                costlyBootParameters: strList("Opt-in for boot parameters with a real cost: init_on_free (zeroing on free), nosmt (halves the hardware threads), mitigations (auto,nosmt)."),
                excludeBootParameters: strList("Profile boot parameters to leave out. `strict` sets KSPP's: module.sig_enforce=1, init_on_alloc=1, slab_nomerge, page_alloc.shuffle=1, randomize_kstack_offset=on, vsyscall=none, pti=on, iommu.strict=1, iommu.passthrough=0, efi=disable_early_pci_dma, debugfs=off."),
            },
            requiredInputs: ["connection"],
            properties: {
                profile: str("The profile applied."),
                sysctlEntries: strMap("The sysctl settings the component set."),
                unsupportedKeys: strList("Profile keys this host's kernel does not have; not set."),
                skippedOneWay: strList("One-way settings left out because allowOneWay is false."),
                oneWayApplied: strList("One-way settings applied: they cannot be undone before a reboot."),
                lockdownLevel: str("The Lockdown level in force after apply, when Lockdown is managed."),
                rebootRequired: bool("Whether a reboot is needed for something declared to take effect."),
                bootParameters: strMap("The kernel parameters the component's KernelCmdline child owns."),
                auditSummary: ref("AuditSummary", "The host's audit after apply: passes, failures, and what still needs a kernel rebuild."),
                auditFailures: strList("Failing audit findings after apply, each with its fix."),
            },
            required: ["profile", "sysctlEntries", "unsupportedKeys", "skippedOneWay", "oneWayApplied", "rebootRequired"],
        },
    },
};
