// Schema of kernelhardening:index:Lockdown: the kernel's lockdown level, raised live and persisted.
import { bool, connectionInput, SchemaFragment, str } from "./schema";

const lockdownInputs = {
    connection: connectionInput,
    mode: str(
        "The lockdown level to hold: `integrity` blocks changes to the running kernel from userspace (unsigned modules, kexec of unsigned kernels, /dev/mem, hibernation, MSR writes and the other operations listed in kernel_lockdown(7)); `confidentiality` also blocks reading kernel memory (kprobes, perf and eBPF reads of kernel memory, /proc/kcore), which stops most run-time debugging. The kernel only lets the level go up until the next boot: asking for a lower level than the one in force changes only the persistence and sets rebootRequired.",
    ),
    previewReadsHost: bool(
        "Whether `pulumi preview` reads the host to show drift (a level found lower after a reboot, a persistence removed by hand). Set false for offline previews.",
        { default: true },
    ),
};

export const lockdownSchema: SchemaFragment = {
    resources: {
        "kernelhardening:index:Lockdown": {
            description:
                "The Linux kernel's Lockdown LSM level (/sys/kernel/security/lockdown), raised live and persisted across reboots.\n\n" +
                "The level is written only when the one in force is lower, because the kernel refuses the current or a lower level until the next boot. It is persisted on the kernel command line as `lockdown=<mode>`, through the host's own boot configuration: a GRUB drop-in (/etc/default/grub.d/90-kernelhardening-lockdown.cfg, then update-grub) where GRUB is configured, the lockdown= token of /etc/kernel/cmdline on kernel-install/systemd-boot hosts (every other parameter is kept, and the running kernel's boot entry is regenerated when kernel-install uses the bls layout), otherwise a systemd unit that raises the level early in boot (/etc/systemd/system/kernelhardening-lockdown.service, wanted by sysinit.target). Files are written atomically. When securityfs is not mounted but the kernel has it, the update mounts it; a kernel without the Lockdown LSM or without securityfs fails with an error that says which.\n\n" +
                "Asking for a lower level than the one in force, or deleting the resource, cannot take effect before a reboot: the preview warns, the update changes only the persistence, and rebootRequired is true. Deleting removes the persistence and leaves the live level as it is until the next reboot. Drift (the persistence removed or edited by hand, or a level found lower after a reboot) shows in `pulumi preview` and is repaired by `pulumi up`.\n\n## Import\n\nThe id is `[user@]host:port:lockdown`, e.g. `root@203.0.113.10:22:lockdown`. The import reads the host with the provider's `connection` (`kernelhardening:connection` in the stack config, or the `connection` of an explicit provider), its host, port and user taken from the id:\n\n```sh\npulumi import kernelhardening:index:Lockdown NAME 'root@203.0.113.10:22:lockdown'\n```",
            inputProperties: lockdownInputs,
            requiredInputs: ["mode"],
            properties: {
                ...lockdownInputs,
                mode: str(
                    "The level found on the host where it falls short of the desired one: the level in force if it is lower, else the level the persistence gives the next boot (`none` when the persistence is missing); otherwise the desired level. A level in force above the desired one is not a shortfall (see rebootRequired).",
                ),
                currentLevel: str("The lockdown level in force now, as /sys/kernel/security/lockdown shows it in brackets: `none`, `integrity` or `confidentiality`. Never a level that is only persisted."),
                persistence: str(
                    "How the level is persisted across reboots: `grub` (a GRUB drop-in adding lockdown= to GRUB_CMDLINE_LINUX), `kernel-cmdline` (the lockdown= token of /etc/kernel/cmdline) or `systemd-unit` (a unit that raises the level early in boot). Chosen from the host's boot configuration, in this order.",
                ),
                persistedIn: str("The file that persists the level: /etc/default/grub.d/90-kernelhardening-lockdown.cfg, /etc/kernel/cmdline or /etc/systemd/system/kernelhardening-lockdown.service."),
                persistedMode: str(
                    "The level the persistence gives the next boot, as found on the host; empty when it is missing or not yet in the boot configuration (for GRUB: every kernel line of /boot/grub/grub.cfg must carry the lockdown= token; for the unit: it must be enabled).",
                ),
                persistedContent: str("The exact content of the file at persistedIn; empty when it is missing. A hand edit of the drop-in or the unit shows as a change even when it keeps the level."),
                cmdline: str("The running kernel's command line (/proc/cmdline) as observed. It shows lockdown=<mode> once the host has booted with the persisted level."),
                rebootRequired: bool("True when the level in force is above the desired one: the kernel cannot lower it, so the desired level takes effect only after a reboot."),
                lsms: { type: "array", items: { type: "string" }, description: "The active Linux Security Modules in the order the kernel lists them (/sys/kernel/security/lsm)." },
                securityfsMounted: bool("Whether securityfs was mounted at /sys/kernel/security when observed. When it is not, the level is read in a private mount namespace, and an update mounts it."),
                previousCmdlineValue: str(
                    "With kernel-cmdline persistence: the lockdown= value /etc/kernel/cmdline had before this resource first set it, restored when the resource is deleted (empty: the token is removed).",
                ),
            },
            required: ["connection", "mode", "previewReadsHost", "currentLevel", "persistence", "persistedIn", "cmdline", "rebootRequired", "lsms", "securityfsMounted"],
        },
    },
};
