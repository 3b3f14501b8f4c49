// The `connection` input shared by every resource, shaped like @pulumi/command's remote Connection,
// plus host-key and sudo options. Validated with zod before anything dials a host.
import { z } from "zod/v4";

const hostname = z
    .string()
    .min(1, "must not be empty")
    .max(253)
    .regex(/^[A-Za-z0-9.:\-_[\]%]+$/, "must be a host name or an IP address");

// POSIX portable user names (plus the common dollar suffix of machine accounts).
const userName = z
    .string()
    .regex(/^[a-z_][a-z0-9_.-]{0,31}\$?$/i, "must be a POSIX user name");

/** Seconds a remote command may run (connection.commandTimeout). */
export const DEFAULT_COMMAND_TIMEOUT = 600;

const noControl = (what: string) =>
    z.string().refine((s) => !/[\u0000]/.test(s), `${what} must not contain NUL`);

const baseConnection = z
    .object({
        host: hostname.describe("The address of the host to connect to (a name or an IP address)."),
        port: z.number().int().min(1).max(65535).default(22).describe("The SSH port."),
        user: userName.default("root")
            .describe("The user to log in as. Commands run through `sudo -n` when this is not root (see `sudo`)."),
        password: noControl("password").optional()
            .meta({ secret: true, description: "The password for password authentication. Always stored as a Pulumi secret." }),
        privateKey: z.string().min(1).optional().meta({
            secret: true,
            description: "The contents of an SSH private key (OpenSSH or PEM format). Always stored as a Pulumi secret.",
        }),
        privateKeyPassword: z.string().optional()
            .meta({ secret: true, description: "The passphrase of an encrypted privateKey. Always stored as a Pulumi secret." }),
        agentSocketPath: z.string().min(1).optional().describe(
            "Path of an SSH agent socket to authenticate with. Defaults to SSH_AUTH_SOCK when neither password nor privateKey is given.",
        ),
        dialErrorLimit: z.number().int().min(1).max(100).default(10).describe("How many times to try to connect before failing."),
        perDialTimeout: z.number().int().min(1).max(600).default(15)
            .describe("Seconds each connection attempt may take, TCP connect and SSH handshake included."),
        /** Pinned host key: an OpenSSH public key line ("ssh-ed25519 AAAA…") or a "SHA256:…" fingerprint. */
        hostKey: z
            .string()
            .regex(/^(SHA256:[A-Za-z0-9+/=]{43,44}|(ssh-[a-z0-9-]+|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?)$/,
                "must be an OpenSSH public key line or a SHA256: fingerprint")
            .optional()
            .describe(
                "The host's public key as an OpenSSH line (`ssh-ed25519 AAAA…`, as in `/etc/ssh/ssh_host_ed25519_key.pub`) or its fingerprint (`SHA256:…`). A host that presents any other key is refused. Without it, the host must be listed in knownHostsPath.",
            ),
        /** known_hosts file on the machine running Pulumi, used when no hostKey is pinned. */
        knownHostsPath: z.string().min(1).optional().describe(
            "An OpenSSH known_hosts file on the machine running Pulumi, used when hostKey is not set. Defaults to ~/.ssh/known_hosts; hashed entries are supported.",
        ),
        /** Explicit opt-out of host key verification. */
        insecureIgnoreHostKey: z.boolean().default(false)
            .describe("Accept any host key. Only for throwaway hosts: it allows a man in the middle to read the credentials."),
        /** Run commands through `sudo -n` (default: when user is not root). */
        sudo: z.boolean().optional().describe(
            "Run commands through sudo (`sudo -n`, or `sudo -S` with sudoPassword; never prompts: a sudo that asks for a password without one fails with a clear error). Defaults to true when user is not root. The sudo rule must allow /bin/sh, which is full root.",
        ),
        sudoPassword: z
            .string()
            .min(1)
            .refine((s) => !/[\u0000\r\n]/.test(s), "sudoPassword must not contain NUL or a line break")
            .optional()
            .meta({
                secret: true,
                description:
                    "The password sudo asks for, when the user's sudo rule is not NOPASSWD. Always stored as a Pulumi secret: it is given " +
                    "to `sudo -S` on the command's standard input, never on a command line.",
            }),
        commandTimeout: z
            .number()
            .int()
            .min(1)
            .max(86_400)
            .default(DEFAULT_COMMAND_TIMEOUT)
            .describe(
                "Seconds each remote command may run before it is abandoned with an error (an apply that " +
                    "started still finishes on the host; the next `pulumi up` converges).",
            ),
    })
    .strict();

/** The fields of a jump host: it only forwards the connection, so it runs no commands. */
const hopConnection = baseConnection.omit({ sudo: true, sudoPassword: true, commandTimeout: true }).strict();

export const ConnectionSchema = baseConnection
    .extend({
        proxy: hopConnection
            .meta({
                pulumiType: "ProxyConnection",
                typeDescription: "A jump host: the same fields as Connection, without sudo, sudoPassword, commandTimeout and a further proxy.",
            })
            .optional()
            .describe("A jump host to reach this host through (SSH port forwarding)."),
    })
    .strict()
    // pulumiType: one named type in schema.json (kernelhardening:index:Connection).
    .meta({
        pulumiType: "Connection",
        typeDescription:
            "How to reach a host over SSH. Shaped like @pulumi/command's remote Connection, plus host key verification and sudo. Connections to the same host are shared within one provider process.",
    });

export type Connection = z.infer<typeof ConnectionSchema>;
export type HopConnection = z.infer<typeof hopConnection>;

/** The connection fields that are Pulumi secrets wherever they appear. */
export const SECRET_CONNECTION_FIELDS = ["password", "privateKey", "privateKeyPassword", "sudoPassword"] as const;

/** Every credential of a connection and of its jump host. */
export function connectionSecrets(c: Connection): string[] {
    const hops: Array<Partial<Record<(typeof SECRET_CONNECTION_FIELDS)[number], string>>> = [c, c.proxy ?? {}];
    return hops.flatMap((h) => SECRET_CONNECTION_FIELDS.map((f) => h[f])).filter((s): s is string => !!s);
}

export function usesSudo(c: Connection): boolean {
    return c.sudo ?? c.user !== "root";
}

/** host:port as shown in every message about a host. */
export function endpoint(c: Pick<Connection, "host" | "port">): string {
    return c.host.includes(":") ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`;
}
