// Schema of kernelhardening:index:KernelCmdline and kernelhardening:index:HostReboot (boot-time
// hardening: kernel parameters persisted through the host's boot configuration, and reboots): their
// outputs (the inputs come from the models).
import { KernelCmdlineObject } from "../provider/resources/kernelcmdline/model";
import { HostRebootObject } from "../provider/resources/reboot/model";
import { typeRef } from "./convert";
import { arrayOf, bool, mapOf, ResourceDef, str } from "./outputs";

export const kernelCmdlineSchema: ResourceDef = {
    token: "kernelhardening:index:KernelCmdline",
    inputs: KernelCmdlineObject,
    description:
        "Kernel command-line parameters, persisted through the host's own boot configuration: a GRUB drop-in (/etc/default/grub.d/90-kernelhardening-cmdline.cfg, then update-grub) where GRUB is configured, else this resource's tokens in /etc/kernel/cmdline (kernel-install / systemd-boot; every other parameter kept, the running kernel's boot entry regenerated with the bls layout). Files are written atomically.\n\n" +
        "Parameters take effect at the next boot: the outputs say what is persisted, what the next boot's kernel will see (another setting in the boot configuration may win: overriddenBy), what is in force (/proc/cmdline), and which parameters wait for a reboot (pendingReboot, rebootRequired). A HostReboot resource can act on rebootRequired. With allowOneWay, module.sig_enforce=1 is also applied at run time.\n\n" +
        "Drift (the boot configuration edited by hand) shows in `pulumi preview` and `pulumi up` restores it. Delete removes only what this resource added (its drop-in, or its tokens with the values from before) and warns that the parameters stay in force until a reboot.",
    outputTypes: {
        CmdlineOverride: {
            type: "object",
            description:
                "A file of the boot configuration that sets one of this resource's parameters to another value, which the next boot's kernel sees.",
            properties: { name: str("The parameter."), file: str("The file that sets it."), value: str("The value it sets (empty: a bare flag).") },
            required: ["name", "file", "value"],
        },
    },
    outputs: {
        persistence: str("How the parameters are persisted: `grub` (a drop-in adding them to GRUB_CMDLINE_LINUX) or `kernel-cmdline` (tokens in /etc/kernel/cmdline)."),
        persistedIn: str("The file that holds them: /etc/default/grub.d/90-kernelhardening-cmdline.cfg or /etc/kernel/cmdline."),
        persistedContent: str("The exact content of that file; empty when it is missing. A hand edit shows as a change."),
        persisted: mapOf("string", "Each parameter as this resource's persistence gives it to the next boot, present only when every boot entry (grub.cfg kernel line, bls entry) carries it."),
        nextBoot: mapOf("string", "Each parameter as the next boot's kernel will see it (the last occurrence on the default entry's command line wins)."),
        inForce: mapOf("string", "Each parameter as it is on the running kernel's command line (/proc/cmdline); missing ones are absent."),
        live: mapOf("string", "Run-time values of the parameters that can be applied live (module.sig_enforce: 1 or 0)."),
        pendingReboot: arrayOf("string", "Parameters persisted but not in force yet: they take effect at the next boot."),
        rebootRequired: bool("True when some parameter waits for a reboot (pendingReboot is not empty)."),
        overriddenBy: {
            type: "array",
            items: { $ref: typeRef("CmdlineOverride") },
            description: "Parameters set elsewhere in the boot configuration to another value, and the value the next boot's kernel sees.",
        },
        cmdline: str("The running kernel's command line (/proc/cmdline) as observed."),
        previousValues: mapOf("string", "With kernel-cmdline persistence: the values /etc/kernel/cmdline had before this resource set them, restored on delete (empty: the token was absent)."),
    },
    required: ["connection", "parameters", "allowOneWay", "previewReadsHost", "persistence", "persistedIn", "persisted", "nextBoot", "inForce", "live", "pendingReboot", "rebootRequired", "overriddenBy", "cmdline"],
};

export const hostRebootSchema: ResourceDef = {
    token: "kernelhardening:index:HostReboot",
    inputs: HostRebootObject,
    description:
        "Reboots a host when something it watches needs it: any of the rebootRequired outputs it is given is true, or its triggers change. It waits for the host to come back (the same pinned host key; a bounded wait, timeoutSeconds; an error naming host:port when it does not), then verifies that what was pending is in force (expectCmdline, expectLockdown), failing the update otherwise. It never reboots in a preview, nor when nothing needs it: a second `pulumi up` does not reboot. Rolling reboots of a fleet are Pulumi dependencies between hosts' HostReboot resources (dependsOn).",
    outputs: {
        bootId: str("The host's boot id (/proc/sys/kernel/random/boot_id) when last seen."),
        rebooted: bool("Whether the last create or update rebooted the host."),
        rebootedAt: str("When this resource last rebooted the host (ISO 8601, UTC); empty when it never did."),
        cmdline: str("The running kernel's command line when last seen."),
        lockdownLevel: str("The lockdown level in force after the last reboot."),
    },
    required: ["connection", "bootId", "rebooted", "cmdline"],
};
