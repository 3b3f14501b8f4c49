// The KernelHardening component's profiles and how one declaration becomes concrete settings.
// Pure: the host's supported keys come in as data.
import { z } from "zod/v4";
import { ConnectionSchema } from "../../ssh/connection";
import { locksOneWay, normaliseKey, normaliseValue } from "../../resources/sysctl/model";
import { meetsRule, SYSCTL_RULES } from "../../audit/rules/sysctl";

/** The recommended value a profile sets for each key, from the audit's own rule table (one source). */
function profileValues(which: "baseline" | "strict"): Record<string, string> {
    const out: Record<string, string> = {};
    // The first rule of a key is the general one (vm.mmap_min_addr: x86_64's, which suits every arch).
    for (const r of SYSCTL_RULES) if (r.profile === which && !(r.key in out)) out[r.key] = r.profileValue ?? r.value;
    return out;
}

/** The post's runtime settings (Lockdown comes on top, as its own resource). */
export const BASELINE: Record<string, string> = profileValues("baseline");

/** KSPP's sysctl recommendations, on top of the baseline. */
export const STRICT_EXTRA: Record<string, string> = profileValues("strict");

const RULE_OF = new Map(SYSCTL_RULES.map((r) => [r.key, r] as const).reverse());

/** Whether the host's value is already stricter than the profile's, by the rule's direction. */
export function stricterThan(key: string, current: string, wanted: string): boolean {
    const r = RULE_OF.get(key);
    if (!r || r.direction === "exactly" || r.direction === "oneOf") return false;
    return meetsRule(r, wanted, current) && normaliseValue(current) !== normaliseValue(wanted);
}

/** Values used instead of a one-way setting when allowOneWay is false. */
const WITHOUT_ONE_WAY: Record<string, string> = { "kernel.yama.ptrace_scope": "2" };

export const HardeningObject = z
    .object({
        connection: ConnectionSchema,
        profile: z
            .enum(["baseline", "strict"])
            .meta({ pulumiType: "Profile", typeDescription: "A KernelHardening profile." })
            .default("baseline")
            .describe(
                "`baseline` (the post's runtime settings and Lockdown integrity) or `strict` (adds KSPP's sysctls).",
            ),
        /** Per-key values that replace or add to the profile's. */
        overrides: z
            .record(z.string(), z.union([z.string(), z.number()]).transform(String))
            .default({})
            .describe(
                'Per-key values that replace or add to the profile\'s, e.g. `{"kernel.yama.ptrace_scope": "3"}`.',
            ),
        /** Profile keys to leave alone. */
        exclude: z.array(z.string()).default([]).describe("Profile keys to leave alone."),
        /** Opt-in for settings the kernel only lets go one way until reboot: the one-way sysctls and Lockdown. */
        allowOneWay: z
            .boolean()
            .default(false)
            .describe("Opt-in for settings that cannot be undone before a reboot: the one-way sysctls and Lockdown."),
        exact: z
            .boolean()
            .default(false)
            .describe(
                "Set every profile value exactly, even where the host already has a stricter one (default: leave those alone).",
            ),
        lockdownMode: z
            .enum(["integrity", "confidentiality"])
            .meta({
                pulumiType: "LockdownMode",
                typeDescription: "A Lockdown level the kernel can be raised to at run time.",
            })
            .default("integrity")
            .describe("Lockdown level to raise to when allowOneWay is set."),
        // Sorts after the distribution's own drop-ins (Debian's 99-protect-links.conf), so ours win at boot.
        sysctlFile: z
            .string()
            .default("99-zz-kernelhardening.conf")
            .describe(
                "File name of the Sysctl drop-in under /etc/sysctl.d. The default sorts after the distribution's drop-ins so the profile's values win at boot.",
            ),
        kernelPin: z
            .object({
                packages: z
                    .array(z.string())
                    .optional()
                    .describe(
                        "Packages to pin. Default: the kernel image meta-package installed and the versioned image package it depends on.",
                    ),
                version: z.string().optional().describe("Version to pin. Default: the version installed now."),
            })
            .strict()
            .meta({
                pulumiType: "KernelPinSettings",
                typeDescription: "Which kernel packages to hold, and at which version (see KernelPackagePin).",
            })
            .optional()
            .describe("Also hold the kernel packages at a version (a KernelPackagePin child)."),
        moduleBlocklist: z
            .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a kernel module name"))
            .optional()
            .describe(
                'Kernel modules that may not be loaded, written under /etc/modprobe.d (a ModuleBlocklist child), e.g. dev-sec\'s `["cramfs", "freevxfs", "jffs2", "hfs", "hfsplus", "udf", "dccp", "rds", "sctp", "tipc"]`.',
            ),
    })
    .strict();

export const HardeningInputsSchema = HardeningObject.superRefine((inp, ctx) => {
    for (const k of [...Object.keys(inp.overrides), ...inp.exclude]) {
        if (!normaliseKey(k))
            ctx.addIssue({
                code: "custom",
                path: [Object.keys(inp.overrides).includes(k) ? "overrides" : "exclude", k],
                message: `${JSON.stringify(k)} is not a sysctl key`,
            });
    }
});

export type HardeningInputs = z.output<typeof HardeningInputsSchema>;

export interface ResolvedProfile {
    /** What the Sysctl child sets. */
    entries: Record<string, string>;
    /** One-way settings left out because allowOneWay is false. */
    skippedOneWay: string[];
    /** Keys the host's kernel does not have; reported, not set. */
    unsupportedKeys: string[];
    /** Whether the Lockdown child is declared. */
    lockdown: boolean;
    /** Settings that cannot be undone before a reboot and are applied. */
    oneWayApplied: string[];
    /** Profile keys left alone because the host is already stricter, with why. */
    leftAlone: string[];
}

/**
 * Profile + overrides - exclusions, minus one-way settings without opt-in, minus keys the host
 * lacks (`supported` null means not known yet, as in a preview with unknown inputs: keep all).
 */
export function resolveProfile(
    inp: HardeningInputs,
    supported: Set<string> | null,
    current: Record<string, string | null> = {},
): ResolvedProfile {
    const wanted: Record<string, string> = { ...BASELINE, ...(inp.profile === "strict" ? STRICT_EXTRA : {}) };
    const overridden = new Set<string>();
    for (const [k, v] of Object.entries(inp.overrides)) {
        wanted[normaliseKey(k)!.key] = normaliseValue(v);
        overridden.add(normaliseKey(k)!.key);
    }
    for (const k of inp.exclude) delete wanted[normaliseKey(k)!.key];
    // Never loosen a host: a profile value below what the host already has is not applied (overrides
    // and `exact` are the user asking for that value).
    const leftAlone: string[] = [];
    for (const [k, v] of Object.entries(wanted)) {
        const now = current[k];
        const profileV = locksOneWay(k, v) && !inp.allowOneWay ? (WITHOUT_ONE_WAY[k] ?? v) : v;
        if (inp.exact || overridden.has(k) || now === null || now === undefined || !stricterThan(k, now, profileV))
            continue;
        leftAlone.push(`${k}=${normaliseValue(now)} (stricter than the profile's ${profileV}; exact: true sets it)`);
        // Kept at the host's value, not dropped: a key dropped from the drop-in would be restored to the
        // value it had before this component first set it, which may be looser. A value that already
        // locks one way (e.g. ptrace_scope=3) stays out without the opt-in: the kernel holds it anyway.
        if (locksOneWay(k, now) && !inp.allowOneWay) delete wanted[k];
        else wanted[k] = normaliseValue(now);
    }

    const entries: Record<string, string> = {};
    const skippedOneWay: string[] = [];
    const unsupportedKeys: string[] = [];
    const oneWayApplied: string[] = [];
    for (const [k, v] of Object.entries(wanted).sort(([a], [b]) => (a < b ? -1 : 1))) {
        const oneWay = locksOneWay(k, v);
        if (oneWay && !inp.allowOneWay) {
            skippedOneWay.push(`${k}=${v}`);
            const fallback = WITHOUT_ONE_WAY[k];
            if (fallback === undefined) continue;
            if (supported && !supported.has(k)) unsupportedKeys.push(k);
            else entries[k] = fallback;
            continue;
        }
        if (supported && !supported.has(k)) {
            unsupportedKeys.push(k);
            continue;
        }
        if (oneWay) oneWayApplied.push(`${k}=${v}`);
        entries[k] = v;
    }
    if (inp.allowOneWay) oneWayApplied.push(`lockdown=${inp.lockdownMode}`);
    else skippedOneWay.push(`lockdown=${inp.lockdownMode}`);
    return { entries, skippedOneWay, unsupportedKeys, lockdown: inp.allowOneWay, oneWayApplied, leftAlone };
}

/** Every key a profile could set, so the host is asked about all of them in one read. */
export function candidateKeys(inp: HardeningInputs): string[] {
    const keys = new Set([...Object.keys(BASELINE), ...(inp.profile === "strict" ? Object.keys(STRICT_EXTRA) : [])]);
    for (const k of Object.keys(inp.overrides)) keys.add(normaliseKey(k)!.key);
    return [...keys];
}
