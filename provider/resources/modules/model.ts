// ModuleBlocklist inputs and file format. Pure.
import { z } from "zod/v4";
import { ConnectionSchema } from "../../ssh/connection";

export const ModuleName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a kernel module name (letters, digits, _ and -)");

const FileName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,250}\.conf$/, "must be a plain file name ending in .conf");

export const BlocklistObject = z
    .object({
        connection: ConnectionSchema,
        modules: z.array(ModuleName).min(1, "must list at least one module"),
        file: FileName.default("90-kernelhardening-blocklist.conf"),
        previewReadsHost: z.boolean().default(true),
        adopt: z
            .boolean()
            .default(false)
            .describe(
                "Take over `file` when it exists and was not written by this provider (no \"Managed by Pulumi\" header): " +
                    "its content is kept on the host and put back on delete. Without it, such a file is refused and left untouched.",
            ),
    })
    .strict();

export const BlocklistInputsSchema = BlocklistObject.transform((inp) => ({ ...inp, modules: [...new Set(inp.modules.map(canonical))].sort() }));

export type BlocklistInputs = z.output<typeof BlocklistInputsSchema>;

/** What is recorded in state: the inputs echoed and the outputs (plan.ts BlocklistState). */
export const BlocklistStateSchema = z.looseObject({
    connection: ConnectionSchema.optional().catch(undefined),
    file: z.string().optional(),
    path: z.string().optional(),
    fileContent: z.string().nullable().optional(),
    blocked: z.array(z.string()).default([]),
    loadedBlocked: z.array(z.string()).default([]),
});

/** modprobe treats - and _ in module names alike; the kernel reports them with _. */
export function canonical(name: string): string {
    return name.replace(/-/g, "_");
}

export const HEADER = "# Managed by Pulumi (kernelhardening:index:ModuleBlocklist). Edits made here are reverted by `pulumi up`.";

/**
 * `blacklist` stops aliases (hotplug) from loading the module; `install … /bin/false` also stops
 * explicit `modprobe` and dependencies, as CIS and dev-sec do.
 */
export function renderBlocklist(modules: string[]): string {
    return [HEADER, ...modules.flatMap((m) => [`blacklist ${m}`, `install ${m} /bin/false`])].join("\n") + "\n";
}

/** Modules a modprobe.d file blocks (both lines present). */
export function blockedIn(text: string): string[] {
    const black = new Set<string>();
    const install = new Set<string>();
    for (const raw of text.split("\n")) {
        const [cmd, name, ...rest] = raw.trim().split(/\s+/);
        if (cmd === "blacklist" && name) black.add(canonical(name));
        if (cmd === "install" && name && /^\/(usr\/)?bin\/(false|true)$/.test(rest.join(" "))) install.add(canonical(name));
    }
    return [...black].filter((m) => install.has(m)).sort();
}

/** What observe and apply read back from the host. */
export interface ObservedBlocklist {
    file: string | null;
    /** Modules loaded now (from /proc/modules). */
    loaded: string[];
}
