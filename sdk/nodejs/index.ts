// Generated from schema.json by schema/gen-nodejs.ts; do not edit by hand.
import * as pulumi from "@pulumi/pulumi";

const PACKAGE_VERSION = "0.1.0";

function withVersion(opts: pulumi.ResourceOptions | undefined): pulumi.ResourceOptions {
    return { version: PACKAGE_VERSION, ...(opts ?? {}) };
}

/**
 * How to reach a host over SSH. Shaped like @pulumi/command's remote Connection, plus host key verification and sudo. Connections to the same host are shared within one provider process.
 */
export interface ConnectionArgs {
    /**
     * The address of the host to connect to (a name or an IP address).
     */
    host: pulumi.Input<string>;
    /**
     * The SSH port.
     */
    port?: pulumi.Input<number>;
    /**
     * The user to log in as. Commands run through `sudo -n` when this is not root (see `sudo`).
     */
    user?: pulumi.Input<string>;
    /**
     * The password for password authentication. Always stored as a Pulumi secret.
     */
    password?: pulumi.Input<string>;
    /**
     * The contents of an SSH private key (OpenSSH or PEM format). Always stored as a Pulumi secret.
     */
    privateKey?: pulumi.Input<string>;
    /**
     * The passphrase of an encrypted privateKey. Always stored as a Pulumi secret.
     */
    privateKeyPassword?: pulumi.Input<string>;
    /**
     * Path of an SSH agent socket to authenticate with. Defaults to SSH_AUTH_SOCK when neither password nor privateKey is given.
     */
    agentSocketPath?: pulumi.Input<string>;
    /**
     * How many times to try to connect before failing.
     */
    dialErrorLimit?: pulumi.Input<number>;
    /**
     * Seconds each connection attempt may take, TCP connect and SSH handshake included.
     */
    perDialTimeout?: pulumi.Input<number>;
    /**
     * The host's public key as an OpenSSH line (`ssh-ed25519 AAAA…`, as in `/etc/ssh/ssh_host_ed25519_key.pub`) or its fingerprint (`SHA256:…`). A host that presents any other key is refused. Without it, the host must be listed in knownHostsPath.
     */
    hostKey?: pulumi.Input<string>;
    /**
     * An OpenSSH known_hosts file on the machine running Pulumi, used when hostKey is not set. Defaults to ~/.ssh/known_hosts; hashed entries are supported.
     */
    knownHostsPath?: pulumi.Input<string>;
    /**
     * Accept any host key. Only for throwaway hosts: it allows a man in the middle to read the credentials.
     */
    insecureIgnoreHostKey?: pulumi.Input<boolean>;
    /**
     * Run commands through `sudo -n` (never prompts: a host whose sudo asks for a password fails with a clear error). Defaults to true when user is not root.
     */
    sudo?: pulumi.Input<boolean>;
    /**
     * A jump host to reach this host through (SSH port forwarding).
     */
    proxy?: pulumi.Input<ProxyConnectionArgs>;
}

/**
 * How to reach a host over SSH. Shaped like @pulumi/command's remote Connection, plus host key verification and sudo. Connections to the same host are shared within one provider process.
 */
export interface Connection {
    /**
     * The address of the host to connect to (a name or an IP address).
     */
    readonly host: string;
    /**
     * The SSH port.
     */
    readonly port?: number;
    /**
     * The user to log in as. Commands run through `sudo -n` when this is not root (see `sudo`).
     */
    readonly user?: string;
    /**
     * The password for password authentication. Always stored as a Pulumi secret.
     */
    readonly password?: string;
    /**
     * The contents of an SSH private key (OpenSSH or PEM format). Always stored as a Pulumi secret.
     */
    readonly privateKey?: string;
    /**
     * The passphrase of an encrypted privateKey. Always stored as a Pulumi secret.
     */
    readonly privateKeyPassword?: string;
    /**
     * Path of an SSH agent socket to authenticate with. Defaults to SSH_AUTH_SOCK when neither password nor privateKey is given.
     */
    readonly agentSocketPath?: string;
    /**
     * How many times to try to connect before failing.
     */
    readonly dialErrorLimit?: number;
    /**
     * Seconds each connection attempt may take, TCP connect and SSH handshake included.
     */
    readonly perDialTimeout?: number;
    /**
     * The host's public key as an OpenSSH line (`ssh-ed25519 AAAA…`, as in `/etc/ssh/ssh_host_ed25519_key.pub`) or its fingerprint (`SHA256:…`). A host that presents any other key is refused. Without it, the host must be listed in knownHostsPath.
     */
    readonly hostKey?: string;
    /**
     * An OpenSSH known_hosts file on the machine running Pulumi, used when hostKey is not set. Defaults to ~/.ssh/known_hosts; hashed entries are supported.
     */
    readonly knownHostsPath?: string;
    /**
     * Accept any host key. Only for throwaway hosts: it allows a man in the middle to read the credentials.
     */
    readonly insecureIgnoreHostKey?: boolean;
    /**
     * Run commands through `sudo -n` (never prompts: a host whose sudo asks for a password fails with a clear error). Defaults to true when user is not root.
     */
    readonly sudo?: boolean;
    /**
     * A jump host to reach this host through (SSH port forwarding).
     */
    readonly proxy?: ProxyConnection;
}

/**
 * A jump host: the same fields as Connection, without sudo and without a further proxy.
 */
export interface ProxyConnectionArgs {
    /**
     * The address of the host to connect to (a name or an IP address).
     */
    host: pulumi.Input<string>;
    /**
     * The SSH port.
     */
    port?: pulumi.Input<number>;
    /**
     * The user to log in as. Commands run through `sudo -n` when this is not root (see `sudo`).
     */
    user?: pulumi.Input<string>;
    /**
     * The password for password authentication. Always stored as a Pulumi secret.
     */
    password?: pulumi.Input<string>;
    /**
     * The contents of an SSH private key (OpenSSH or PEM format). Always stored as a Pulumi secret.
     */
    privateKey?: pulumi.Input<string>;
    /**
     * The passphrase of an encrypted privateKey. Always stored as a Pulumi secret.
     */
    privateKeyPassword?: pulumi.Input<string>;
    /**
     * Path of an SSH agent socket to authenticate with. Defaults to SSH_AUTH_SOCK when neither password nor privateKey is given.
     */
    agentSocketPath?: pulumi.Input<string>;
    /**
     * How many times to try to connect before failing.
     */
    dialErrorLimit?: pulumi.Input<number>;
    /**
     * Seconds each connection attempt may take, TCP connect and SSH handshake included.
     */
    perDialTimeout?: pulumi.Input<number>;
    /**
     * The host's public key as an OpenSSH line (`ssh-ed25519 AAAA…`, as in `/etc/ssh/ssh_host_ed25519_key.pub`) or its fingerprint (`SHA256:…`). A host that presents any other key is refused. Without it, the host must be listed in knownHostsPath.
     */
    hostKey?: pulumi.Input<string>;
    /**
     * An OpenSSH known_hosts file on the machine running Pulumi, used when hostKey is not set. Defaults to ~/.ssh/known_hosts; hashed entries are supported.
     */
    knownHostsPath?: pulumi.Input<string>;
    /**
     * Accept any host key. Only for throwaway hosts: it allows a man in the middle to read the credentials.
     */
    insecureIgnoreHostKey?: pulumi.Input<boolean>;
}

/**
 * A jump host: the same fields as Connection, without sudo and without a further proxy.
 */
export interface ProxyConnection {
    /**
     * The address of the host to connect to (a name or an IP address).
     */
    readonly host: string;
    /**
     * The SSH port.
     */
    readonly port?: number;
    /**
     * The user to log in as. Commands run through `sudo -n` when this is not root (see `sudo`).
     */
    readonly user?: string;
    /**
     * The password for password authentication. Always stored as a Pulumi secret.
     */
    readonly password?: string;
    /**
     * The contents of an SSH private key (OpenSSH or PEM format). Always stored as a Pulumi secret.
     */
    readonly privateKey?: string;
    /**
     * The passphrase of an encrypted privateKey. Always stored as a Pulumi secret.
     */
    readonly privateKeyPassword?: string;
    /**
     * Path of an SSH agent socket to authenticate with. Defaults to SSH_AUTH_SOCK when neither password nor privateKey is given.
     */
    readonly agentSocketPath?: string;
    /**
     * How many times to try to connect before failing.
     */
    readonly dialErrorLimit?: number;
    /**
     * Seconds each connection attempt may take, TCP connect and SSH handshake included.
     */
    readonly perDialTimeout?: number;
    /**
     * The host's public key as an OpenSSH line (`ssh-ed25519 AAAA…`, as in `/etc/ssh/ssh_host_ed25519_key.pub`) or its fingerprint (`SHA256:…`). A host that presents any other key is refused. Without it, the host must be listed in knownHostsPath.
     */
    readonly hostKey?: string;
    /**
     * An OpenSSH known_hosts file on the machine running Pulumi, used when hostKey is not set. Defaults to ~/.ssh/known_hosts; hashed entries are supported.
     */
    readonly knownHostsPath?: string;
    /**
     * Accept any host key. Only for throwaway hosts: it allows a man in the middle to read the credentials.
     */
    readonly insecureIgnoreHostKey?: boolean;
}

/**
 * A file that sets a managed key after this resource's drop-in at boot, so its value wins at the next boot.
 */
export interface SysctlOverrideArgs {
    /**
     * The sysctl key.
     */
    key: pulumi.Input<string>;
    /**
     * The file whose assignment wins at boot.
     */
    file: pulumi.Input<string>;
    /**
     * The value that file sets.
     */
    value: pulumi.Input<string>;
}

/**
 * A file that sets a managed key after this resource's drop-in at boot, so its value wins at the next boot.
 */
export interface SysctlOverride {
    /**
     * The sysctl key.
     */
    readonly key: string;
    /**
     * The file whose assignment wins at boot.
     */
    readonly file: string;
    /**
     * The value that file sets.
     */
    readonly value: string;
}

/**
 * One check of the host against the post's or KSPP's recommendations.
 */
export interface AuditFindingArgs {
    /**
     * Stable identifier, e.g. `kconfig.MODULE_SIG_FORCE`, `sysctl.kernel.kptr_restrict`, `runtime.lockdown`.
     */
    id: pulumi.Input<string>;
    /**
     * What is checked, in words.
     */
    title: pulumi.Input<string>;
    /**
     * `kconfig`, `cmdline`, `sysctl` or `runtime`.
     */
    category: pulumi.Input<string>;
    /**
     * Where the recommendation comes from: `cloudflare-post`, `kspp` or `kspp+post`.
     */
    source: pulumi.Input<string>;
    /**
     * `low`, `medium`, `high` or `critical`.
     */
    severity: pulumi.Input<string>;
    /**
     * `pass`, `fail`, or `unknown` when the host does not expose the information.
     */
    status: pulumi.Input<string>;
    /**
     * What the host shows (absent when unknown).
     */
    observed?: pulumi.Input<string>;
    /**
     * What the recommendation asks for.
     */
    expected: pulumi.Input<string>;
    /**
     * One line on why it matters.
     */
    why: pulumi.Input<string>;
    /**
     * How to fix it: which resource of this package sets it, or which kernel build option is needed.
     */
    fix: pulumi.Input<string>;
}

/**
 * One check of the host against the post's or KSPP's recommendations.
 */
export interface AuditFinding {
    /**
     * Stable identifier, e.g. `kconfig.MODULE_SIG_FORCE`, `sysctl.kernel.kptr_restrict`, `runtime.lockdown`.
     */
    readonly id: string;
    /**
     * What is checked, in words.
     */
    readonly title: string;
    /**
     * `kconfig`, `cmdline`, `sysctl` or `runtime`.
     */
    readonly category: string;
    /**
     * Where the recommendation comes from: `cloudflare-post`, `kspp` or `kspp+post`.
     */
    readonly source: string;
    /**
     * `low`, `medium`, `high` or `critical`.
     */
    readonly severity: string;
    /**
     * `pass`, `fail`, or `unknown` when the host does not expose the information.
     */
    readonly status: string;
    /**
     * What the host shows (absent when unknown).
     */
    readonly observed?: string;
    /**
     * What the recommendation asks for.
     */
    readonly expected: string;
    /**
     * One line on why it matters.
     */
    readonly why: string;
    /**
     * How to fix it: which resource of this package sets it, or which kernel build option is needed.
     */
    readonly fix: string;
}

/**
 * Counts of the findings.
 */
export interface AuditSummaryArgs {
    /**
     * Findings that pass.
     */
    pass: pulumi.Input<number>;
    /**
     * Findings that fail.
     */
    fail: pulumi.Input<number>;
    /**
     * Findings the host gave no information for.
     */
    unknown: pulumi.Input<number>;
    /**
     * Failing kconfig findings: they need a kernel built with other options.
     */
    needsKernelRebuild: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Counts of the findings.
 */
export interface AuditSummary {
    /**
     * Findings that pass.
     */
    readonly pass: number;
    /**
     * Findings that fail.
     */
    readonly fail: number;
    /**
     * Findings the host gave no information for.
     */
    readonly unknown: number;
    /**
     * Failing kconfig findings: they need a kernel built with other options.
     */
    readonly needsKernelRebuild: string[];
}

/**
 * Which kernel packages to hold, and at which version (see KernelPackagePin).
 */
export interface KernelPinSettingsArgs {
    /**
     * Packages to pin. Default: the kernel image meta-package installed and the versioned image package it depends on.
     */
    packages?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Version to pin. Default: the version installed now.
     */
    version?: pulumi.Input<string>;
}

/**
 * Which kernel packages to hold, and at which version (see KernelPackagePin).
 */
export interface KernelPinSettings {
    /**
     * Packages to pin. Default: the kernel image meta-package installed and the versioned image package it depends on.
     */
    readonly packages?: string[];
    /**
     * Version to pin. Default: the version installed now.
     */
    readonly version?: string;
}

/**
 * An installed kernel image package: one that owns a /boot/vmlinuz-<release>.
 */
export interface KernelPackagePinImageArgs {
    /**
     * The package name, e.g. `linux-image-6.1.0-50-cloud-amd64`.
     */
    package: pulumi.Input<string>;
    /**
     * The installed version of the package.
     */
    version?: pulumi.Input<string>;
    /**
     * The kernel release it installs, as `uname -r` prints it when that kernel runs, e.g. `6.1.0-50-cloud-amd64`.
     */
    release: pulumi.Input<string>;
}

/**
 * An installed kernel image package: one that owns a /boot/vmlinuz-<release>.
 */
export interface KernelPackagePinImage {
    /**
     * The package name, e.g. `linux-image-6.1.0-50-cloud-amd64`.
     */
    readonly package: string;
    /**
     * The installed version of the package.
     */
    readonly version?: string;
    /**
     * The kernel release it installs, as `uname -r` prints it when that kernel runs, e.g. `6.1.0-50-cloud-amd64`.
     */
    readonly release: string;
}

/**
 * The set of arguments for constructing a Sysctl resource.
 */
export interface SysctlArgs {
    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    connection?: pulumi.Input<ConnectionArgs>;
    /**
     * File name of the drop-in under /etc/sysctl.d, e.g. `90-hardening.conf`. A plain name ending in `.conf`; changing it replaces the resource.
     */
    file: pulumi.Input<string>;
    /**
     * Sysctl keys and the values to set, e.g. `{"kernel.kptr_restrict": "2"}`. Keys may be written dotted or with slashes and are normalised; values compare with whitespace folded (`32768\t60999` equals `32768 60999`).
     */
    entries: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    /**
     * A comment written at the top of the file, one `#` line per line of text.
     */
    comment?: pulumi.Input<string>;
    /**
     * Confirms keys that the kernel only lets go one way until reboot (kernel.kexec_load_disabled=1, kernel.modules_disabled=1, kernel.yama.ptrace_scope=3, kernel.unprivileged_bpf_disabled=1). Without it such entries fail at preview.
     */
    allowOneWayKeys?: pulumi.Input<boolean>;
    /**
     * Whether `pulumi preview` reads the host to show drift (as the Kubernetes provider reads its cluster). Set false for offline previews.
     */
    previewReadsHost?: pulumi.Input<boolean>;
}

/**
 * One drop-in file under /etc/sysctl.d holding many kernel parameters, applied live and persisted.
 *
 * Values are set live first and read back; a key the kernel rejects fails the update with the kernel's reason, keys already set are restored, and nothing is written to the file, so a rejected value never breaks the next boot's `sysctl --system`. The file is written atomically (temporary file, fsync, rename). Drift, a value changed by `sysctl -w` or a hand-edited file, shows in `pulumi preview` and is corrected by `pulumi up`. Deleting the resource removes the file and restores, live, the value each key had before the resource first set it. Another sysctl.d file that would win at boot is reported in `overriddenBy` and as a warning.
 *
 * ## Import
 *
 * The id is `[user@]host:port:/etc/sysctl.d/NAME.conf`, e.g. `root@203.0.113.10:22:/etc/sysctl.d/90-hardening.conf`. The import reads the host with the provider's `connection` (`kernelhardening:connection` in the stack config, or the `connection` of an explicit provider), its host, port and user taken from the id:
 *
 * ```sh
 * pulumi import kernelhardening:index:Sysctl NAME 'root@203.0.113.10:22:/etc/sysctl.d/90-hardening.conf'
 * ```
 */
export class Sysctl extends pulumi.CustomResource {
    /** @internal */
    public static readonly __pulumiType = "kernelhardening:index:Sysctl";

    /** Returns true if obj is an instance of Sysctl, also across copies of this SDK. */
    public static isInstance(obj: any): obj is Sysctl {
        return obj !== undefined && obj !== null && obj["__pulumiType"] === Sysctl.__pulumiType;
    }

    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    declare public readonly connection: pulumi.Output<Connection>;
    /**
     * File name of the drop-in under /etc/sysctl.d, e.g. `90-hardening.conf`. A plain name ending in `.conf`; changing it replaces the resource.
     */
    declare public readonly file: pulumi.Output<string>;
    /**
     * Per managed key, the value found on the host where it differs from the desired one (the live value first, then the file's), otherwise the desired value.
     */
    declare public readonly entries: pulumi.Output<{ [key: string]: string }>;
    /**
     * A comment written at the top of the file, one `#` line per line of text.
     */
    declare public readonly comment: pulumi.Output<string | undefined>;
    /**
     * Confirms keys that the kernel only lets go one way until reboot (kernel.kexec_load_disabled=1, kernel.modules_disabled=1, kernel.yama.ptrace_scope=3, kernel.unprivileged_bpf_disabled=1). Without it such entries fail at preview.
     */
    declare public readonly allowOneWayKeys: pulumi.Output<boolean>;
    /**
     * Whether `pulumi preview` reads the host to show drift (as the Kubernetes provider reads its cluster). Set false for offline previews.
     */
    declare public readonly previewReadsHost: pulumi.Output<boolean>;
    /**
     * Full path of the drop-in file.
     */
    declare public readonly path: pulumi.Output<string>;
    /**
     * The live value of each managed key, as read from /proc/sys after the last apply or refresh.
     */
    declare public readonly liveValues: pulumi.Output<{ [key: string]: string }>;
    /**
     * The exact content of the drop-in file on the host; empty when the file is missing.
     */
    declare public readonly fileContent: pulumi.Output<string | undefined>;
    /**
     * The value each key had before this resource first set it; restored when the resource is deleted.
     */
    declare public readonly previousValues: pulumi.Output<{ [key: string]: string }>;
    /**
     * Files applied after this drop-in at boot that set a managed key to another value.
     */
    declare public readonly overriddenBy: pulumi.Output<SysctlOverride[]>;

    constructor(name: string, args: SysctlArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {};
        if (args?.file === undefined) throw new Error("Missing required property 'file'");
        if (args?.entries === undefined) throw new Error("Missing required property 'entries'");
        props["connection"] = args?.connection;
        props["file"] = args?.file;
        props["entries"] = args?.entries;
        props["comment"] = args?.comment;
        props["allowOneWayKeys"] = args?.allowOneWayKeys;
        props["previewReadsHost"] = args?.previewReadsHost;
        props["path"] = undefined;
        props["liveValues"] = undefined;
        props["fileContent"] = undefined;
        props["previousValues"] = undefined;
        props["overriddenBy"] = undefined;
        const secretOpts = [].length ? { additionalSecretOutputs: [] } : {};
        super(Sysctl.__pulumiType, name, props, pulumi.mergeOptions(withVersion(opts), secretOpts));
    }
}

/**
 * The set of arguments for constructing a Lockdown resource.
 */
export interface LockdownArgs {
    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    connection?: pulumi.Input<ConnectionArgs>;
    /**
     * The lockdown level to hold: `integrity` blocks changes to the running kernel from userspace (unsigned modules, kexec of unsigned kernels, /dev/mem, hibernation, MSR writes and the other operations listed in kernel_lockdown(7)); `confidentiality` also blocks reading kernel memory (kprobes, perf and eBPF reads of kernel memory, /proc/kcore), which stops most run-time debugging. The kernel only lets the level go up until the next boot: asking for a lower level than the one in force changes only the persistence and sets rebootRequired.
     */
    mode: pulumi.Input<string>;
    /**
     * Whether `pulumi preview` reads the host to show drift (a level found lower after a reboot, a persistence removed by hand). Set false for offline previews.
     */
    previewReadsHost?: pulumi.Input<boolean>;
}

/**
 * The Linux kernel's Lockdown LSM level (/sys/kernel/security/lockdown), raised live and persisted across reboots.
 *
 * The level is written only when the one in force is lower, because the kernel refuses the current or a lower level until the next boot. It is persisted on the kernel command line as `lockdown=<mode>`, through the host's own boot configuration: a GRUB drop-in (/etc/default/grub.d/90-kernelhardening-lockdown.cfg, then update-grub) where GRUB is configured, the lockdown= token of /etc/kernel/cmdline on kernel-install/systemd-boot hosts (every other parameter is kept, and the running kernel's boot entry is regenerated when kernel-install uses the bls layout), otherwise a systemd unit that raises the level early in boot (/etc/systemd/system/kernelhardening-lockdown.service, wanted by sysinit.target). Files are written atomically. When securityfs is not mounted but the kernel has it, the update mounts it; a kernel without the Lockdown LSM or without securityfs fails with an error that says which.
 *
 * Asking for a lower level than the one in force, or deleting the resource, cannot take effect before a reboot: the preview warns, the update changes only the persistence, and rebootRequired is true. Deleting removes the persistence and leaves the live level as it is until the next reboot. Drift (the persistence removed or edited by hand, or a level found lower after a reboot) shows in `pulumi preview` and is repaired by `pulumi up`.
 *
 * ## Import
 *
 * The id is `[user@]host:port:lockdown`, e.g. `root@203.0.113.10:22:lockdown`. The import reads the host with the provider's `connection` (`kernelhardening:connection` in the stack config, or the `connection` of an explicit provider), its host, port and user taken from the id:
 *
 * ```sh
 * pulumi import kernelhardening:index:Lockdown NAME 'root@203.0.113.10:22:lockdown'
 * ```
 */
export class Lockdown extends pulumi.CustomResource {
    /** @internal */
    public static readonly __pulumiType = "kernelhardening:index:Lockdown";

    /** Returns true if obj is an instance of Lockdown, also across copies of this SDK. */
    public static isInstance(obj: any): obj is Lockdown {
        return obj !== undefined && obj !== null && obj["__pulumiType"] === Lockdown.__pulumiType;
    }

    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    declare public readonly connection: pulumi.Output<Connection>;
    /**
     * The level found on the host where it falls short of the desired one: the level in force if it is lower, else the level the persistence gives the next boot (`none` when the persistence is missing); otherwise the desired level. A level in force above the desired one is not a shortfall (see rebootRequired).
     */
    declare public readonly mode: pulumi.Output<string>;
    /**
     * Whether `pulumi preview` reads the host to show drift (a level found lower after a reboot, a persistence removed by hand). Set false for offline previews.
     */
    declare public readonly previewReadsHost: pulumi.Output<boolean>;
    /**
     * The lockdown level in force now, as /sys/kernel/security/lockdown shows it in brackets: `none`, `integrity` or `confidentiality`. Never a level that is only persisted.
     */
    declare public readonly currentLevel: pulumi.Output<string>;
    /**
     * How the level is persisted across reboots: `grub` (a GRUB drop-in adding lockdown= to GRUB_CMDLINE_LINUX), `kernel-cmdline` (the lockdown= token of /etc/kernel/cmdline) or `systemd-unit` (a unit that raises the level early in boot). Chosen from the host's boot configuration, in this order.
     */
    declare public readonly persistence: pulumi.Output<string>;
    /**
     * The file that persists the level: /etc/default/grub.d/90-kernelhardening-lockdown.cfg, /etc/kernel/cmdline or /etc/systemd/system/kernelhardening-lockdown.service.
     */
    declare public readonly persistedIn: pulumi.Output<string>;
    /**
     * The level the persistence gives the next boot, as found on the host; empty when it is missing or not yet in the boot configuration (for GRUB: every kernel line of /boot/grub/grub.cfg must carry the lockdown= token; for the unit: it must be enabled).
     */
    declare public readonly persistedMode: pulumi.Output<string | undefined>;
    /**
     * The exact content of the file at persistedIn; empty when it is missing. A hand edit of the drop-in or the unit shows as a change even when it keeps the level.
     */
    declare public readonly persistedContent: pulumi.Output<string | undefined>;
    /**
     * The running kernel's command line (/proc/cmdline) as observed. It shows lockdown=<mode> once the host has booted with the persisted level.
     */
    declare public readonly cmdline: pulumi.Output<string>;
    /**
     * True when the level in force is above the desired one: the kernel cannot lower it, so the desired level takes effect only after a reboot.
     */
    declare public readonly rebootRequired: pulumi.Output<boolean>;
    /**
     * The active Linux Security Modules in the order the kernel lists them (/sys/kernel/security/lsm).
     */
    declare public readonly lsms: pulumi.Output<string[]>;
    /**
     * Whether securityfs was mounted at /sys/kernel/security when observed. When it is not, the level is read in a private mount namespace, and an update mounts it.
     */
    declare public readonly securityfsMounted: pulumi.Output<boolean>;
    /**
     * With kernel-cmdline persistence: the lockdown= value /etc/kernel/cmdline had before this resource first set it, restored when the resource is deleted (empty: the token is removed).
     */
    declare public readonly previousCmdlineValue: pulumi.Output<string | undefined>;

    constructor(name: string, args: LockdownArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {};
        if (args?.mode === undefined) throw new Error("Missing required property 'mode'");
        props["connection"] = args?.connection;
        props["mode"] = args?.mode;
        props["previewReadsHost"] = args?.previewReadsHost;
        props["currentLevel"] = undefined;
        props["persistence"] = undefined;
        props["persistedIn"] = undefined;
        props["persistedMode"] = undefined;
        props["persistedContent"] = undefined;
        props["cmdline"] = undefined;
        props["rebootRequired"] = undefined;
        props["lsms"] = undefined;
        props["securityfsMounted"] = undefined;
        props["previousCmdlineValue"] = undefined;
        const secretOpts = [].length ? { additionalSecretOutputs: [] } : {};
        super(Lockdown.__pulumiType, name, props, pulumi.mergeOptions(withVersion(opts), secretOpts));
    }
}

/**
 * The set of arguments for constructing a KernelHardening resource.
 */
export interface KernelHardeningArgs {
    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    connection: pulumi.Input<ConnectionArgs>;
    /**
     * `baseline` (the post's runtime settings and Lockdown integrity) or `strict` (adds KSPP's sysctls).
     */
    profile?: pulumi.Input<string>;
    /**
     * Per-key values that replace or add to the profile's, e.g. `{"kernel.yama.ptrace_scope": "3"}`.
     */
    overrides?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    /**
     * Profile keys to leave alone.
     */
    exclude?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Opt-in for settings that cannot be undone before a reboot: the one-way sysctls and Lockdown.
     */
    allowOneWay?: pulumi.Input<boolean>;
    /**
     * Lockdown level to raise to when allowOneWay is set: `integrity` or `confidentiality`.
     */
    lockdownMode?: pulumi.Input<string>;
    /**
     * File name of the Sysctl drop-in under /etc/sysctl.d. The default sorts after the distribution's drop-ins so the profile's values win at boot.
     */
    sysctlFile?: pulumi.Input<string>;
    /**
     * Also hold the kernel packages at a version (a KernelPackagePin child).
     */
    kernelPin?: pulumi.Input<KernelPinSettingsArgs>;
    /**
     * Kernel modules that may not be loaded, written under /etc/modprobe.d (a ModuleBlocklist child), e.g. dev-sec's `["cramfs", "freevxfs", "jffs2", "hfs", "hfsplus", "udf", "dccp", "rds", "sctp", "tipc"]`.
     */
    moduleBlocklist?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Applies a hardening profile to a host in one declaration: a Sysctl drop-in with the profile's settings, Lockdown, and optionally a kernel pin and a module blocklist, then audits the host.
 *
 * Profiles: `baseline` is the runtime settings of Cloudflare's post (kernel.kptr_restrict=2, kernel.dmesg_restrict=1, kernel.kexec_load_disabled=1) and Lockdown `integrity`; `strict` adds KSPP's sysctl recommendations. Settings that cannot be undone before a reboot (kernel.kexec_load_disabled, kernel.modules_disabled, Lockdown itself) are applied only with `allowOneWay: true`; otherwise they are listed in `skippedOneWay`. Keys this host's kernel does not have are listed in `unsupportedKeys` and warned about, never silently skipped.
 */
export class KernelHardening extends pulumi.ComponentResource {
    /** @internal */
    public static readonly __pulumiType = "kernelhardening:index:KernelHardening";

    /** Returns true if obj is an instance of KernelHardening, also across copies of this SDK. */
    public static isInstance(obj: any): obj is KernelHardening {
        return obj !== undefined && obj !== null && obj["__pulumiType"] === KernelHardening.__pulumiType;
    }

    /**
     * The profile applied.
     */
    declare public readonly profile: pulumi.Output<string>;
    /**
     * The sysctl settings the component set.
     */
    declare public readonly sysctlEntries: pulumi.Output<{ [key: string]: string }>;
    /**
     * Profile keys this host's kernel does not have; not set.
     */
    declare public readonly unsupportedKeys: pulumi.Output<string[]>;
    /**
     * One-way settings left out because allowOneWay is false.
     */
    declare public readonly skippedOneWay: pulumi.Output<string[]>;
    /**
     * One-way settings applied: they cannot be undone before a reboot.
     */
    declare public readonly oneWayApplied: pulumi.Output<string[]>;
    /**
     * The Lockdown level in force after apply, when Lockdown is managed.
     */
    declare public readonly lockdownLevel: pulumi.Output<string | undefined>;
    /**
     * Whether a reboot is needed for something declared to take effect.
     */
    declare public readonly rebootRequired: pulumi.Output<boolean>;
    /**
     * The host's audit after apply: passes, failures, and what still needs a kernel rebuild.
     */
    declare public readonly auditSummary: pulumi.Output<AuditSummary | undefined>;
    /**
     * Failing audit findings after apply, each with its fix.
     */
    declare public readonly auditFailures: pulumi.Output<string[] | undefined>;

    constructor(name: string, args: KernelHardeningArgs, opts?: pulumi.ComponentResourceOptions) {
        const props: pulumi.Inputs = {};
        if (args?.connection === undefined) throw new Error("Missing required property 'connection'");
        props["connection"] = args?.connection;
        props["profile"] = args?.profile;
        props["overrides"] = args?.overrides;
        props["exclude"] = args?.exclude;
        props["allowOneWay"] = args?.allowOneWay;
        props["lockdownMode"] = args?.lockdownMode;
        props["sysctlFile"] = args?.sysctlFile;
        props["kernelPin"] = args?.kernelPin;
        props["moduleBlocklist"] = args?.moduleBlocklist;
        props["sysctlEntries"] = undefined;
        props["unsupportedKeys"] = undefined;
        props["skippedOneWay"] = undefined;
        props["oneWayApplied"] = undefined;
        props["lockdownLevel"] = undefined;
        props["rebootRequired"] = undefined;
        props["auditSummary"] = undefined;
        props["auditFailures"] = undefined;
        const secretOpts = [].length ? { additionalSecretOutputs: [] } : {};
        super(KernelHardening.__pulumiType, name, props, pulumi.mergeOptions(withVersion(opts), secretOpts), true);
    }
}

/**
 * The set of arguments for constructing a ModuleBlocklist resource.
 */
export interface ModuleBlocklistArgs {
    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    connection?: pulumi.Input<ConnectionArgs>;
    /**
     * Kernel modules that may not be loaded, e.g. `["cramfs", "udf", "dccp"]`. `-` and `_` are the same to modprobe; names are stored with `_`, sorted.
     */
    modules: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * File name under /etc/modprobe.d. Changing it replaces the resource.
     */
    file?: pulumi.Input<string>;
    /**
     * Whether `pulumi preview` reads the host to show drift. Set false for offline previews.
     */
    previewReadsHost?: pulumi.Input<boolean>;
}

/**
 * Kernel modules that may not be loaded: one /etc/modprobe.d file with `blacklist <module>` (no loading by alias, e.g. on hotplug) and `install <module> /bin/false` (no explicit `modprobe`, no loading as a dependency) for each, written atomically. A blocked module that is loaded now stays loaded until it is unloaded or the host reboots: it is reported in `loadedBlocked` and as a warning. Deleting the resource removes the file. Loading by path with `insmod` is not covered by modprobe.d: Lockdown and module signature enforcement are the controls for that.
 *
 * ## Import
 *
 * The id is `[user@]host:port:/etc/modprobe.d/NAME.conf`, e.g. `root@203.0.113.10:22:/etc/modprobe.d/90-kernelhardening-blocklist.conf`. The import reads the host with the provider's `connection` (`kernelhardening:connection` in the stack config, or the `connection` of an explicit provider), its host, port and user taken from the id:
 *
 * ```sh
 * pulumi import kernelhardening:index:ModuleBlocklist NAME 'root@203.0.113.10:22:/etc/modprobe.d/90-kernelhardening-blocklist.conf'
 * ```
 */
export class ModuleBlocklist extends pulumi.CustomResource {
    /** @internal */
    public static readonly __pulumiType = "kernelhardening:index:ModuleBlocklist";

    /** Returns true if obj is an instance of ModuleBlocklist, also across copies of this SDK. */
    public static isInstance(obj: any): obj is ModuleBlocklist {
        return obj !== undefined && obj !== null && obj["__pulumiType"] === ModuleBlocklist.__pulumiType;
    }

    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    declare public readonly connection: pulumi.Output<Connection>;
    /**
     * Kernel modules that may not be loaded, e.g. `["cramfs", "udf", "dccp"]`. `-` and `_` are the same to modprobe; names are stored with `_`, sorted.
     */
    declare public readonly modules: pulumi.Output<string[]>;
    /**
     * File name under /etc/modprobe.d. Changing it replaces the resource.
     */
    declare public readonly file: pulumi.Output<string>;
    /**
     * Whether `pulumi preview` reads the host to show drift. Set false for offline previews.
     */
    declare public readonly previewReadsHost: pulumi.Output<boolean>;
    /**
     * Full path of the file.
     */
    declare public readonly path: pulumi.Output<string>;
    /**
     * The exact content of the file on the host; empty when it is missing.
     */
    declare public readonly fileContent: pulumi.Output<string | undefined>;
    /**
     * Modules the file on the host blocks (both lines present), as last read.
     */
    declare public readonly blocked: pulumi.Output<string[]>;
    /**
     * Blocked modules that are loaded now.
     */
    declare public readonly loadedBlocked: pulumi.Output<string[]>;

    constructor(name: string, args: ModuleBlocklistArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {};
        if (args?.modules === undefined) throw new Error("Missing required property 'modules'");
        props["connection"] = args?.connection;
        props["modules"] = args?.modules;
        props["file"] = args?.file;
        props["previewReadsHost"] = args?.previewReadsHost;
        props["path"] = undefined;
        props["fileContent"] = undefined;
        props["blocked"] = undefined;
        props["loadedBlocked"] = undefined;
        const secretOpts = [].length ? { additionalSecretOutputs: [] } : {};
        super(ModuleBlocklist.__pulumiType, name, props, pulumi.mergeOptions(withVersion(opts), secretOpts));
    }
}

/**
 * The set of arguments for constructing a KernelPackagePin resource.
 */
export interface KernelPackagePinArgs {
    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    connection?: pulumi.Input<ConnectionArgs>;
    /**
     * The Debian packages to pin, e.g. `["linux-image-cloud-amd64", "linux-image-6.1.0-50-cloud-amd64"]`. Each must be installed and must be a valid Debian package name; the list is sorted, so order does not matter. Default: the kernel the host has now, that is every installed linux-image-* meta-package (on a Debian cloud image `linux-image-cloud-amd64`) and the versioned image packages it depends on (`linux-image-6.1.0-NN-cloud-amd64`), or the running kernel's image package on a host without a meta-package. The default is resolved when the resource is created and then kept: it does not follow the host.
     */
    packages?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * The version to pin every package to, in Debian version syntax (`[epoch:]upstream[-revision]`, e.g. `6.1.176-1`); apt must know it (see `apt-cache policy`), otherwise the preview fails listing the versions apt has. Default: for each package, the version installed when the resource first pins it, kept until this input changes. A version that apt knows but that is not installed is pinned and a warning tells how to install it: the hold keeps the installed one until then.
     */
    version?: pulumi.Input<string>;
    /**
     * Whether `pulumi preview` reads the host: to show drift (a hold lifted by hand, the preferences file edited or removed) and to check new packages and versions against apt. Set false for offline previews; the checks then happen when the update starts, before anything is written.
     */
    previewReadsHost?: pulumi.Input<boolean>;
}

/**
 * Keeps the kernel packages of a Debian or Ubuntu host (apt) at the versions you vetted until you move them on purpose.
 *
 * Two apt mechanisms hold each package: a preferences file, /etc/apt/preferences.d/kernelhardening-kernel-pin.pref, pins the version with `Pin-Priority: 1001` (apt never selects another version as the candidate, so `apt-get install` and `apt-get upgrade` leave it alone), and `apt-mark hold` keeps it even when another version is asked for explicitly. The file is written atomically (temporary file, fsync, rename) and each is written only where it differs. After every apply the resource reads back `apt-cache policy` and `apt-mark showhold` in the same round trip and fails unless apt's candidate is the pinned version at priority 1001 and every package is on hold.
 *
 * A package that is not installed, or a version apt does not know, fails with the versions apt has: at preview when the resource exists (the new inputs are checked against the host), otherwise when the update starts, before anything is written. Drift, a hold lifted with `apt-mark unhold` or the file edited or removed, shows in `pulumi preview` and is repaired by `pulumi up`. Deleting the resource removes the file and lifts the holds it set (a package that was on hold before stays on hold), nothing else. There is one such file per host, so one KernelPackagePin per host; changing the host replaces the resource. A host without apt fails with an unsupported package manager error.
 *
 * ## Import
 *
 * The id is `[user@]host:port:/etc/apt/preferences.d/kernelhardening-kernel-pin.pref`, e.g. `root@203.0.113.10:22:/etc/apt/preferences.d/kernelhardening-kernel-pin.pref`. The import reads the host with the provider's `connection` (`kernelhardening:connection` in the stack config, or the `connection` of an explicit provider), its host, port and user taken from the id:
 *
 * ```sh
 * pulumi import kernelhardening:index:KernelPackagePin NAME 'root@203.0.113.10:22:/etc/apt/preferences.d/kernelhardening-kernel-pin.pref'
 * ```
 */
export class KernelPackagePin extends pulumi.CustomResource {
    /** @internal */
    public static readonly __pulumiType = "kernelhardening:index:KernelPackagePin";

    /** Returns true if obj is an instance of KernelPackagePin, also across copies of this SDK. */
    public static isInstance(obj: any): obj is KernelPackagePin {
        return obj !== undefined && obj !== null && obj["__pulumiType"] === KernelPackagePin.__pulumiType;
    }

    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    declare public readonly connection: pulumi.Output<Connection>;
    /**
     * The Debian packages to pin, e.g. `["linux-image-cloud-amd64", "linux-image-6.1.0-50-cloud-amd64"]`. Each must be installed and must be a valid Debian package name; the list is sorted, so order does not matter. Default: the kernel the host has now, that is every installed linux-image-* meta-package (on a Debian cloud image `linux-image-cloud-amd64`) and the versioned image packages it depends on (`linux-image-6.1.0-NN-cloud-amd64`), or the running kernel's image package on a host without a meta-package. The default is resolved when the resource is created and then kept: it does not follow the host.
     */
    declare public readonly packages: pulumi.Output<string[] | undefined>;
    /**
     * The version to pin every package to, in Debian version syntax (`[epoch:]upstream[-revision]`, e.g. `6.1.176-1`); apt must know it (see `apt-cache policy`), otherwise the preview fails listing the versions apt has. Default: for each package, the version installed when the resource first pins it, kept until this input changes. A version that apt knows but that is not installed is pinned and a warning tells how to install it: the hold keeps the installed one until then.
     */
    declare public readonly version: pulumi.Output<string | undefined>;
    /**
     * Whether `pulumi preview` reads the host: to show drift (a hold lifted by hand, the preferences file edited or removed) and to check new packages and versions against apt. Set false for offline previews; the checks then happen when the update starts, before anything is written.
     */
    declare public readonly previewReadsHost: pulumi.Output<boolean>;
    /**
     * Package -> version this resource pins. With packages or version left out, the defaults as resolved when the resource was created (or when those inputs last changed).
     */
    declare public readonly pinnedVersions: pulumi.Output<{ [key: string]: string }>;
    /**
     * Per pinned package: whether apt-mark showhold lists it, as observed.
     */
    declare public readonly held: pulumi.Output<{ [key: string]: boolean }>;
    /**
     * Per pinned package: the version dpkg has installed, as observed; empty when it is not installed.
     */
    declare public readonly installedVersions: pulumi.Output<{ [key: string]: string }>;
    /**
     * Per pinned package: the version apt would install (the candidate in `apt-cache policy`). While the pin is in force it is the pinned version.
     */
    declare public readonly candidateVersions: pulumi.Output<{ [key: string]: string }>;
    /**
     * The running kernel's release, `uname -r`.
     */
    declare public readonly runningKernel: pulumi.Output<string>;
    /**
     * The kernel releases of the pinned image packages, pinned directly or as the dependency of a pinned meta-package, e.g. `["6.1.0-50-cloud-amd64"]`.
     */
    declare public readonly pinnedKernels: pulumi.Output<string[]>;
    /**
     * True when the running kernel is not a pinned one: another release runs, or the same release from another build (Debian kernels name their package version in `uname -v`), so a reboot is needed to run the pinned kernel. False when nothing pinned is a kernel image.
     */
    declare public readonly rebootRequired: pulumi.Output<boolean>;
    /**
     * Kernel image packages installed but not pinned. The boot loader may start one of them (GRUB boots the newest by default); also reported as a warning.
     */
    declare public readonly unpinnedKernels: pulumi.Output<KernelPackagePinImage[]>;
    /**
     * The path of the preferences file: /etc/apt/preferences.d/kernelhardening-kernel-pin.pref.
     */
    declare public readonly pinFile: pulumi.Output<string>;
    /**
     * The exact content of the preferences file on the host; empty when it is missing. A hand edit shows as a change even when apt still pins the same versions.
     */
    declare public readonly pinFileContent: pulumi.Output<string | undefined>;
    /**
     * How the host falls short of the pins, as last observed: a package -> `not on hold` (apt-mark unhold by hand), the preferences file's path -> `missing` or `edited by hand`. Empty when apt does what the pins say; `pulumi up` repairs anything listed, and a preview shows it as the drift the update removes.
     */
    declare public readonly drift: pulumi.Output<{ [key: string]: string }>;
    /**
     * Pinned packages that were already on hold when this resource first pinned them; deleting the resource leaves them on hold.
     */
    declare public readonly previouslyHeld: pulumi.Output<string[]>;

    constructor(name: string, args: KernelPackagePinArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {};

        props["connection"] = args?.connection;
        props["packages"] = args?.packages;
        props["version"] = args?.version;
        props["previewReadsHost"] = args?.previewReadsHost;
        props["pinnedVersions"] = undefined;
        props["held"] = undefined;
        props["installedVersions"] = undefined;
        props["candidateVersions"] = undefined;
        props["runningKernel"] = undefined;
        props["pinnedKernels"] = undefined;
        props["rebootRequired"] = undefined;
        props["unpinnedKernels"] = undefined;
        props["pinFile"] = undefined;
        props["pinFileContent"] = undefined;
        props["drift"] = undefined;
        props["previouslyHeld"] = undefined;
        const secretOpts = [].length ? { additionalSecretOutputs: [] } : {};
        super(KernelPackagePin.__pulumiType, name, props, pulumi.mergeOptions(withVersion(opts), secretOpts));
    }
}

export interface AuditArgs {
    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    connection: Connection;
    /**
     * Failing findings at or above this severity are listed in `failures`: low, medium, high or critical.
     */
    minSeverity?: string;
}

export interface AuditResult {
    /**
     * `uname -r` of the host.
     */
    readonly kernelRelease?: string;
    /**
     * Where the kernel build config was read from.
     */
    readonly kconfigSource?: string;
    /**
     * The Lockdown level in force.
     */
    readonly lockdown?: string;
    /**
     * Every check with its status.
     */
    readonly findings: AuditFinding[];
    /**
     * Ids of findings that fail at or above minSeverity.
     */
    readonly failures: string[];
    /**
     * Counts of the findings.
     */
    readonly summary: AuditSummary;
}

/**
 * Audits a host's kernel against the recommendations of Cloudflare's post on kernel security tunables and KSPP: the kernel build config (/boot/config-$(uname -r) or /proc/config.gz), /proc/cmdline, sysctls, the Lockdown level and LSM list, taint flags and module signature enforcement, all read in one SSH round trip. Nothing on the host is changed.
 */
export function audit(args: AuditArgs, opts?: pulumi.InvokeOptions): Promise<AuditResult> {
    return pulumi.runtime.invoke("kernelhardening:index:audit", args as any, { version: PACKAGE_VERSION, ...(opts ?? {}) });
}

export interface AuditOutputArgs {
    /**
     * How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.
     */
    connection: pulumi.Input<ConnectionArgs>;
    /**
     * Failing findings at or above this severity are listed in `failures`: low, medium, high or critical.
     */
    minSeverity?: pulumi.Input<string>;
}

/**
 * Audits a host's kernel against the recommendations of Cloudflare's post on kernel security tunables and KSPP: the kernel build config (/boot/config-$(uname -r) or /proc/config.gz), /proc/cmdline, sysctls, the Lockdown level and LSM list, taint flags and module signature enforcement, all read in one SSH round trip. Nothing on the host is changed.
 */
export function auditOutput(args: AuditOutputArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<AuditResult> {
    return pulumi.runtime.invokeOutput("kernelhardening:index:audit", args as any, { version: PACKAGE_VERSION, ...(opts ?? {}) });
}
