// KSPP's boot parameters for the KernelHardening component's strict profile, each with its reason,
// and the component's boot options (reboot, kernelCmdline). Parameters with a real cost or risk are
// applied only when named in costlyBootParameters. Pure.
import { z } from "zod/v4";
import { HardeningObject } from "../../components/hardening/profiles";
import { ParametersSchema } from "./model";

export interface BootParam {
    value: string;
    reason: string;
}

/** On top of strict's sysctls; x86-64 names (KSPP's "Recommended Settings", kernel command line). */
export const STRICT_BOOT: Record<string, BootParam> = {
    "module.sig_enforce": { value: "1", reason: "refuse unsigned kernel modules (the post's first point) on kernels built without MODULE_SIG_FORCE" },
    init_on_alloc: { value: "1", reason: "zero pages and heap objects when allocated, so stale data cannot leak or be used uninitialised" },
    slab_nomerge: { value: "", reason: "keep slab caches apart, so an overflow in one cache cannot reach objects of another" },
    "page_alloc.shuffle": { value: "1", reason: "randomise the page allocator's free lists, which makes heap grooming harder" },
    randomize_kstack_offset: { value: "on", reason: "a random kernel stack offset on each system call" },
    vsyscall: { value: "none", reason: "no vsyscall page at a fixed address (a ready-made ROP target); only very old static binaries use it" },
    pti: { value: "on", reason: "page table isolation (Meltdown) even where the CPU claims not to need it" },
    "iommu.strict": { value: "1", reason: "invalidate IOMMU mappings at once, so a device cannot DMA through a stale mapping" },
    "iommu.passthrough": { value: "0", reason: "DMA always goes through the IOMMU's translation" },
    efi: { value: "disable_early_pci_dma", reason: "stop PCI bus mastering during early boot (DMA attacks before the IOMMU is set up)" },
    debugfs: { value: "off", reason: "no debugfs: a large attack surface that also leaks kernel addresses" },
};

/** Opt-in only: each costs performance or capacity. */
export const COSTLY_BOOT: Record<string, BootParam> = {
    init_on_free: { value: "1", reason: "zero memory when freed (use-after-free and leaks of freed data); costs a few per cent of throughput" },
    nosmt: { value: "", reason: "disable SMT against cross-thread side channels (MDS, L1TF); halves the hardware threads" },
    mitigations: { value: "auto,nosmt", reason: "every CPU vulnerability mitigation, disabling SMT where needed; can cost a lot of performance" },
};

export const BootOptions = z.object({
    reboot: z
        .enum(["never", "ifRequired"])
        .meta({ pulumiType: "RebootPolicy", typeDescription: "When the component reboots the host: never, or when a child needs it." })
        .default("never")
        .describe("`ifRequired`: a HostReboot child reboots the host when a child needs it (boot parameters, Lockdown lowered, pinned kernel) and verifies them after; `never`: only rebootRequired says so."),
    rebootTimeoutSeconds: z
        .number()
        .int()
        .min(30)
        .max(7200)
        .default(600)
        .describe("With `reboot: ifRequired`: how long the host may take to go down and come back with SSH, in seconds (HostReboot's timeoutSeconds)."),
    kernelCmdline: ParametersSchema.optional().describe("Kernel parameters to add to (or replace in) the profile's, e.g. { \"module.sig_enforce\": \"1\" } (an empty value is a bare flag)."),
    costlyBootParameters: z
        .array(
            z.enum(Object.keys(COSTLY_BOOT) as [string, ...string[]])
                .meta({ pulumiType: "CostlyBootParameter", typeDescription: "A boot parameter with a real cost, applied only when asked for." }),
        )
        .default([])
        .describe(`Opt-in for boot parameters with a real cost: ${Object.keys(COSTLY_BOOT).join(", ")}.`),
    excludeBootParameters: z.array(z.string()).default([]).describe("Profile boot parameters to leave out."),
});

/** The component's schema with the boot options. */
export const HardeningBootObject = HardeningObject.extend(BootOptions.shape);

/** The boot parameters the component's KernelCmdline child owns; empty: no child. */
export function bootParameters(inp: {
    profile: string;
    kernelCmdline?: Record<string, string>;
    costlyBootParameters: string[];
    excludeBootParameters: string[];
}): Record<string, string> {
    const out: Record<string, string> = {};
    if (inp.profile === "strict") for (const [k, p] of Object.entries(STRICT_BOOT)) out[k] = p.value;
    for (const k of inp.costlyBootParameters) out[k] = COSTLY_BOOT[k].value;
    for (const k of inp.excludeBootParameters) delete out[k];
    Object.assign(out, inp.kernelCmdline ?? {});
    return out;
}
