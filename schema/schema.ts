// The Pulumi package schema: every resource, type and function with reference documentation.
// schema.json is generated from this file (npm run schema) and checked by a unit test.

type Prop = Record<string, unknown>;

export const str = (description: string, extra: Prop = {}): Prop => ({ type: "string", description, ...extra });
export const int = (description: string, extra: Prop = {}): Prop => ({ type: "integer", description, ...extra });
export const bool = (description: string, extra: Prop = {}): Prop => ({ type: "boolean", description, ...extra });
export const strMap = (description: string): Prop => ({ type: "object", additionalProperties: { type: "string" }, description });
export const ref = (t: string, description: string): Prop => ({ $ref: `#/types/kernelhardening:index:${t}`, description });

const hopProperties: Record<string, Prop> = {
    host: str("The address of the host to connect to (a name or an IP address)."),
    port: int("The SSH port.", { default: 22 }),
    user: str("The user to log in as. Commands run through `sudo -n` when this is not root (see `sudo`).", { default: "root" }),
    password: str("The password for password authentication. Always stored as a Pulumi secret.", { secret: true }),
    privateKey: str("The contents of an SSH private key (OpenSSH or PEM format). Always stored as a Pulumi secret.", { secret: true }),
    privateKeyPassword: str("The passphrase of an encrypted privateKey. Always stored as a Pulumi secret.", { secret: true }),
    agentSocketPath: str("Path of an SSH agent socket to authenticate with. Defaults to SSH_AUTH_SOCK when neither password nor privateKey is given."),
    dialErrorLimit: int("How many times to try to connect before failing.", { default: 10 }),
    perDialTimeout: int("Seconds each connection attempt may take, TCP connect and SSH handshake included.", { default: 15 }),
    hostKey: str(
        "The host's public key as an OpenSSH line (`ssh-ed25519 AAAA…`, as in `/etc/ssh/ssh_host_ed25519_key.pub`) or its fingerprint (`SHA256:…`). A host that presents any other key is refused. Without it, the host must be listed in knownHostsPath.",
    ),
    knownHostsPath: str("An OpenSSH known_hosts file on the machine running Pulumi, used when hostKey is not set. Defaults to ~/.ssh/known_hosts; hashed entries are supported."),
    insecureIgnoreHostKey: bool("Accept any host key. Only for throwaway hosts: it allows a man in the middle to read the credentials.", { default: false }),
};

const types = {
    "kernelhardening:index:Connection": {
        type: "object",
        description:
            "How to reach a host over SSH. Shaped like @pulumi/command's remote Connection, plus host key verification and sudo. Connections to the same host are shared within one provider process.",
        properties: {
            ...hopProperties,
            sudo: bool("Run commands through `sudo -n` (never prompts: a host whose sudo asks for a password fails with a clear error). Defaults to true when user is not root."),
            proxy: ref("ProxyConnection", "A jump host to reach this host through (SSH port forwarding)."),
        },
        required: ["host"],
    },
    "kernelhardening:index:ProxyConnection": {
        type: "object",
        description: "A jump host: the same fields as Connection, without sudo and without a further proxy.",
        properties: hopProperties,
        required: ["host"],
    },
    "kernelhardening:index:SysctlOverride": {
        type: "object",
        description: "A file that sets a managed key after this resource's drop-in at boot, so its value wins at the next boot.",
        properties: {
            key: str("The sysctl key."),
            file: str("The file whose assignment wins at boot."),
            value: str("The value that file sets."),
        },
        required: ["key", "file", "value"],
    },
};

export const connectionInput = ref("Connection", "How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`); set here, it wins over it.");

const sysctlInputs: Record<string, Prop> = {
    connection: connectionInput,
    file: str("File name of the drop-in under /etc/sysctl.d, e.g. `90-hardening.conf`. A plain name ending in `.conf`; changing it replaces the resource."),
    entries: strMap(
        "Sysctl keys and the values to set, e.g. `{\"kernel.kptr_restrict\": \"2\"}`. Keys may be written dotted or with slashes and are normalised; values compare with whitespace folded (`32768\\t60999` equals `32768 60999`).",
    ),
    comment: str("A comment written at the top of the file, one `#` line per line of text."),
    allowOneWayKeys: bool(
        "Confirms keys that the kernel only lets go one way until reboot (kernel.kexec_load_disabled=1, kernel.modules_disabled=1, kernel.yama.ptrace_scope=3, kernel.unprivileged_bpf_disabled=1). Without it such entries fail at preview.",
        { default: false },
    ),
    previewReadsHost: bool("Whether `pulumi preview` reads the host to show drift (as the Kubernetes provider reads its cluster). Set false for offline previews.", { default: true }),
};

const resources = {
    "kernelhardening:index:Sysctl": {
        description:
            "One drop-in file under /etc/sysctl.d holding many kernel parameters, applied live and persisted.\n\nValues are set live first and read back; a key the kernel rejects fails the update with the kernel's reason, keys already set are restored, and nothing is written to the file, so a rejected value never breaks the next boot's `sysctl --system`. The file is written atomically (temporary file, fsync, rename). Drift, a value changed by `sysctl -w` or a hand-edited file, shows in `pulumi preview` and is corrected by `pulumi up`. Deleting the resource removes the file and restores, live, the value each key had before the resource first set it. Another sysctl.d file that would win at boot is reported in `overriddenBy` and as a warning.\n\n## Import\n\nThe id is `[user@]host:port:/etc/sysctl.d/NAME.conf`, e.g. `root@203.0.113.10:22:/etc/sysctl.d/90-hardening.conf`. The import reads the host with the provider's `connection` (`kernelhardening:connection` in the stack config, or the `connection` of an explicit provider), its host, port and user taken from the id:\n\n```sh\npulumi import kernelhardening:index:Sysctl NAME 'root@203.0.113.10:22:/etc/sysctl.d/90-hardening.conf'\n```",
        inputProperties: sysctlInputs,
        requiredInputs: ["file", "entries"],
        properties: {
            ...sysctlInputs,
            entries: strMap("Per managed key, the value found on the host where it differs from the desired one (the live value first, then the file's), otherwise the desired value."),
            path: str("Full path of the drop-in file."),
            liveValues: strMap("The live value of each managed key, as read from /proc/sys after the last apply or refresh."),
            fileContent: str("The exact content of the drop-in file on the host; empty when the file is missing."),
            previousValues: strMap("The value each key had before this resource first set it; restored when the resource is deleted."),
            overriddenBy: { type: "array", items: { $ref: "#/types/kernelhardening:index:SysctlOverride" }, description: "Files applied after this drop-in at boot that set a managed key to another value." },
        },
        required: ["connection", "file", "entries", "path", "liveValues", "previousValues", "overriddenBy", "allowOneWayKeys", "previewReadsHost"],
    },
};

export interface SchemaFragment {
    resources?: Record<string, unknown>;
    types?: Record<string, unknown>;
    functions?: Record<string, unknown>;
}

export function buildSchema(fragments: SchemaFragment[] = []) {
    const merge = (k: keyof SchemaFragment) => Object.assign({}, ...fragments.map((f) => f[k] ?? {}));
    return {
        name: "kernelhardening",
        displayName: "Kernel Hardening",
        version: "0.1.0",
        description: "Declare the kernel security state of Linux hosts (sysctls, Lockdown, kernel pinning, audits) and reconcile it over SSH.",
        keywords: ["pulumi", "kernel", "linux", "security", "hardening", "sysctl", "lockdown", "category/infrastructure", "kind/native"],
        homepage: "https://example.invalid/kernel-hardening-as-code",
        license: "Apache-2.0",
        publisher: "kernel hardening as code",
        language: {
            nodejs: { packageName: "@kernelhardening/pulumi", packageDescription: "Kernel hardening as code for Pulumi", dependencies: { "@pulumi/pulumi": "^3.0.0" }, respectSchemaVersion: true },
            python: { packageName: "pulumi_kernelhardening", respectSchemaVersion: true },
            go: { importBasePath: "example.invalid/kernelhardening/sdk/go/kernelhardening", respectSchemaVersion: true },
        },
        config: {
            variables: {
                connection: {
                    $ref: "#/types/kernelhardening:index:Connection",
                    description: "The default connection of the resources of this provider that do not set their own. Its credentials are secrets.",
                    secret: true,
                },
            },
        },
        provider: {
            description: "The kernelhardening provider. Its `connection` is the default one for its resources; a resource's own `connection` wins over it. Pointing a provider at another host replaces its resources.",
            inputProperties: {
                connection: {
                    $ref: "#/types/kernelhardening:index:Connection",
                    description: "The default connection of this provider's resources (`kernelhardening:connection` for the default provider). Its credentials are secrets.",
                    secret: true,
                },
            },
        },
        types: { ...types, ...merge("types") },
        resources: { ...resources, ...merge("resources") },
        functions: { ...merge("functions") },
    };
}
