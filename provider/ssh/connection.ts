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
        host: hostname,
        port: z.number().int().min(1).max(65535).default(22),
        user: userName.default("root"),
        password: noControl("password").optional(),
        privateKey: z.string().min(1).optional(),
        privateKeyPassword: z.string().optional(),
        agentSocketPath: z.string().min(1).optional(),
        dialErrorLimit: z.number().int().min(1).max(100).default(10),
        perDialTimeout: z.number().int().min(1).max(600).default(15),
        /** Pinned host key: an OpenSSH public key line ("ssh-ed25519 AAAA…") or a "SHA256:…" fingerprint. */
        hostKey: z
            .string()
            .regex(/^(SHA256:[A-Za-z0-9+/=]{43,44}|(ssh-[a-z0-9-]+|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?)$/,
                "must be an OpenSSH public key line or a SHA256: fingerprint")
            .optional(),
        /** known_hosts file on the machine running Pulumi, used when no hostKey is pinned. */
        knownHostsPath: z.string().min(1).optional(),
        /** Explicit opt-out of host key verification. */
        insecureIgnoreHostKey: z.boolean().default(false),
        /** Run commands through `sudo -n` (default: when user is not root). */
        sudo: z.boolean().optional(),
        sudoPassword: z
            .string()
            .min(1)
            .refine((s) => !/[\u0000\r\n]/.test(s), "sudoPassword must not contain NUL or a line break")
            .optional()
            .describe(
                "The password sudo asks for, when the user's sudo rule is not NOPASSWD. A secret: it is given " +
                    "to `sudo -S` on the command's standard input, never on a command line.",
            ),
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

export const ConnectionSchema = baseConnection.extend({ proxy: hopConnection.optional() }).strict();

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
