// KernelCmdline inputs: the kernel parameters this resource owns, checked by the kernel's
// command-line grammar (kernel/cmdline.ts) before any host is contacted. Pure.
import { z } from "zod/v4";
import { ConnectionSchema } from "../../ssh/connection";
import { canonicalName, MAX_PARAMS_LENGTH, nameError, renderParams, valueError } from "../../kernel/cmdline";

export const KERNEL_CMDLINE_TOKEN = "kernelhardening:index:KernelCmdline";
export const CMDLINE_DROPIN = "90-kernelhardening-cmdline.cfg";

/** Parameters the kernel also exposes as run-time settings that only go one way until reboot. */
export const LIVE_PARAMS: Record<string, { value: string; path: string; live: (raw: string) => string }> = {
    "module.sig_enforce": { value: "1", path: "/sys/module/module/parameters/sig_enforce", live: (raw) => (raw.trim() === "Y" ? "1" : "0") },
};

const ParamValue = z
    .union([z.string(), z.number(), z.boolean()])
    .transform((v) => (typeof v === "boolean" ? (v ? "1" : "0") : String(v)))
    .superRefine((v, ctx) => {
        const err = valueError(v);
        if (err) ctx.addIssue({ code: "custom", message: err });
    });

export const ParametersSchema = z
    // Names are checked here rather than by a key schema, so the message names the parameter.
    .record(z.string(), ParamValue)
    .refine((p) => Object.keys(p).length > 0, "must hold at least one parameter")
    .superRefine((p, ctx) => {
        const seen = new Map<string, string>();
        for (const n of Object.keys(p)) {
            const err = nameError(n);
            if (err) ctx.addIssue({ code: "custom", path: [n], message: err });
            const dup = seen.get(canonicalName(n));
            if (dup !== undefined) ctx.addIssue({ code: "custom", path: [n], message: `names the same parameter as ${JSON.stringify(dup)} (the kernel treats - and _ alike)` });
            seen.set(canonicalName(n), n);
        }
        if (renderParams(p).length > MAX_PARAMS_LENGTH) ctx.addIssue({ code: "custom", message: `must be at most ${MAX_PARAMS_LENGTH} characters on the command line (the kernel keeps 2048 in all)` });
    });

export const KernelCmdlineObject = z
    .object({
        connection: ConnectionSchema.describe("How to reach the host over SSH."),
        parameters: ParametersSchema.describe(
            'The kernel parameters this resource owns, e.g. { "module.sig_enforce": "1", "slab_nomerge": "" } (an empty value is a bare flag). Values with spaces are written in the kernel\'s double quotes; characters the shell, GRUB or the kernel would interpret are refused.',
        ),
        allowOneWay: z
            .boolean()
            .default(false)
            .describe("Also apply at run time the parameters the kernel lets go only one way until reboot (module.sig_enforce=1 through /sys/module/module/parameters/sig_enforce), so the host is protected before its reboot."),
        previewReadsHost: z.boolean().default(true).describe("Whether `pulumi preview` reads the host to show drift. Set false for offline previews."),
    })
    .strict();

export const KernelCmdlineInputsSchema = KernelCmdlineObject;
export type KernelCmdlineInputs = z.output<typeof KernelCmdlineInputsSchema>;

const StringMap = z.record(z.string(), z.string());

/** What is recorded in state: the inputs echoed and the outputs (plan.ts KclState); what diff and delete read. */
export const KernelCmdlineStateSchema = z.looseObject({
    connection: ConnectionSchema.optional().catch(undefined),
    parameters: StringMap.default({}),
    persistence: z.enum(["grub", "kernel-cmdline"]).optional().catch(undefined),
    persistedIn: z.string().optional(),
    persistedContent: z.string().nullable().default(null),
    persisted: StringMap.default({}),
    live: StringMap.default({}),
    previousValues: z.record(z.string(), z.string().nullable()).default({}),
});

/** The live-applicable parameters this input applies at run time (with allowOneWay). */
export function liveWanted(inp: Pick<KernelCmdlineInputs, "parameters" | "allowOneWay">): string[] {
    if (!inp.allowOneWay) return [];
    return Object.entries(inp.parameters)
        .filter(([n, v]) => LIVE_PARAMS[canonicalName(n)]?.value === v)
        .map(([n]) => n);
}
