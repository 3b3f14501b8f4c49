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
 * The set of arguments for constructing a Sysctl resource.
 */
export interface SysctlArgs {
    /**
     * How to reach the host over SSH.
     */
    connection: pulumi.Input<ConnectionArgs>;
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
     * Confirms keys that the kernel only lets go one way until reboot (kernel.kexec_load_disabled=1, kernel.modules_disabled=1). Without it such entries fail at preview.
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
 */
export class Sysctl extends pulumi.CustomResource {
    /** @internal */
    public static readonly __pulumiType = "kernelhardening:index:Sysctl";

    /** Returns true if obj is an instance of Sysctl, also across copies of this SDK. */
    public static isInstance(obj: any): obj is Sysctl {
        return obj !== undefined && obj !== null && obj["__pulumiType"] === Sysctl.__pulumiType;
    }

    /**
     * How to reach the host over SSH.
     */
    public readonly connection!: pulumi.Output<Connection>;
    /**
     * File name of the drop-in under /etc/sysctl.d, e.g. `90-hardening.conf`. A plain name ending in `.conf`; changing it replaces the resource.
     */
    public readonly file!: pulumi.Output<string>;
    /**
     * Per managed key, the value found on the host where it differs from the desired one (the live value first, then the file's), otherwise the desired value.
     */
    public readonly entries!: pulumi.Output<{ [key: string]: string }>;
    /**
     * A comment written at the top of the file, one `#` line per line of text.
     */
    public readonly comment!: pulumi.Output<string | undefined>;
    /**
     * Confirms keys that the kernel only lets go one way until reboot (kernel.kexec_load_disabled=1, kernel.modules_disabled=1). Without it such entries fail at preview.
     */
    public readonly allowOneWayKeys!: pulumi.Output<boolean>;
    /**
     * Whether `pulumi preview` reads the host to show drift (as the Kubernetes provider reads its cluster). Set false for offline previews.
     */
    public readonly previewReadsHost!: pulumi.Output<boolean>;
    /**
     * Full path of the drop-in file.
     */
    public readonly path!: pulumi.Output<string>;
    /**
     * The live value of each managed key, as read from /proc/sys after the last apply or refresh.
     */
    public readonly liveValues!: pulumi.Output<{ [key: string]: string }>;
    /**
     * The exact content of the drop-in file on the host; empty when the file is missing.
     */
    public readonly fileContent!: pulumi.Output<string | undefined>;
    /**
     * The value each key had before this resource first set it; restored when the resource is deleted.
     */
    public readonly previousValues!: pulumi.Output<{ [key: string]: string }>;
    /**
     * Files applied after this drop-in at boot that set a managed key to another value.
     */
    public readonly overriddenBy!: pulumi.Output<SysctlOverride[]>;

    constructor(name: string, args: SysctlArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {};
        if (args?.connection === undefined) throw new Error("Missing required property 'connection'");
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

export interface AuditArgs {
    /**
     * How to reach the host over SSH.
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
     * How to reach the host over SSH.
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
