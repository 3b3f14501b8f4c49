// HostReboot inputs: what it watches (rebootRequired outputs, triggers), what must be in force after
// the reboot, and how long the host may take to come back. Pure.
import { z } from "zod/v4";
import { ConnectionSchema } from "../../ssh/connection";
import { ParametersSchema } from "../kernelcmdline/model";

export const HOST_REBOOT_TOKEN = "kernelhardening:index:HostReboot";

export const HostRebootObject = z
    .object({
        connection: ConnectionSchema.describe("How to reach the host over SSH (the same pinned host key is verified after the reboot)."),
        rebootRequired: z
            .array(z.boolean())
            .default([])
            .describe("The rebootRequired outputs this reboot watches (e.g. a KernelCmdline's, a Lockdown's, a KernelPackagePin's): the host reboots when any is true. Never in a preview."),
        triggers: z
            .array(z.unknown())
            .default([])
            .describe("Arbitrary values: the host reboots when any of them changes (not when the resource is created)."),
        expectCmdline: ParametersSchema.optional().describe(
            "Kernel parameters that must be on /proc/cmdline after the reboot (typically a KernelCmdline's parameters); the update fails otherwise. An empty value is a bare flag.",
        ),
        expectLockdown: z
            .enum(["integrity", "confidentiality"])
            .meta({ pulumiType: "LockdownMode", typeDescription: "A Lockdown level the kernel can be raised to at run time." })
            .optional()
            .describe("The lockdown level that must be in force (at least) after the reboot; the update fails otherwise."),
        timeoutSeconds: z
            .number()
            .int()
            .min(30)
            .max(7200)
            .default(600)
            .describe("How long the host may take to go down and come back with SSH, in seconds; after that the update fails naming host:port."),
    })
    .strict();

export const HostRebootInputsSchema = HostRebootObject;
export type HostRebootInputs = z.output<typeof HostRebootInputsSchema>;

/** What is recorded in state: the inputs echoed and what the last create or update saw; what diff reads. */
export const HostRebootStateSchema = z.looseObject({
    connection: ConnectionSchema.optional().catch(undefined),
    triggers: z.array(z.unknown()).optional(),
    expectCmdline: z.record(z.string(), z.string()).optional().catch(undefined),
    expectLockdown: HostRebootObject.shape.expectLockdown.catch(undefined),
    timeoutSeconds: z.number().optional().catch(undefined),
    rebootedAt: z.string().default(""),
});
