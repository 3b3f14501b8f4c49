// Host key verification: a pinned key or fingerprint, or an OpenSSH known_hosts file.
import { createHash, createHmac } from "crypto";
import { readFileSync } from "fs";
import { homedir } from "os";
import { join } from "path";

/** OpenSSH-style fingerprint of a raw public key blob: "SHA256:<base64 without padding>". */
export function fingerprint(keyBlob: Buffer): string {
    return "SHA256:" + createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "");
}

/** The algorithm name stored at the start of an SSH public key blob. */
export function keyType(keyBlob: Buffer): string {
    if (keyBlob.length < 4) return "unknown";
    const n = keyBlob.readUInt32BE(0);
    return keyBlob.subarray(4, 4 + n).toString("latin1");
}

export interface PinnedKey {
    /** Key type when the pin is a full public key, so only that type is negotiated. */
    type?: string;
    fingerprint: string;
}

export function parsePin(pin: string): PinnedKey {
    const trimmed = pin.trim();
    if (trimmed.startsWith("SHA256:")) return { fingerprint: trimmed.replace(/=+$/, "") };
    const [type, b64] = trimmed.split(/\s+/);
    return { type, fingerprint: fingerprint(Buffer.from(b64, "base64")) };
}

export interface KnownHosts {
    keys: PinnedKey[];
    /** Keys marked `@revoked` for this host: refused even when another line lists them. */
    revoked: PinnedKey[];
}

/**
 * Entries for host:port in an OpenSSH known_hosts file (plain or hashed host names). `@revoked`
 * lines are kept apart; `@cert-authority` lines are skipped (certificates are not supported).
 */
export function readKnownHosts(path: string | undefined, host: string, port: number): KnownHosts {
    const file = path ?? join(homedir(), ".ssh", "known_hosts");
    const found: KnownHosts = { keys: [], revoked: [] };
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch {
        return found;
    }
    const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
    for (const raw of text.split("\n")) {
        const fields = raw.trim().split(/\s+/);
        if (!fields[0] || fields[0].startsWith("#")) continue;
        const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
        if (marker !== undefined && marker !== "@revoked") continue;
        const [patterns, type, b64] = fields;
        if (!type || !b64 || !hostMatches(patterns, names)) continue;
        (marker ? found.revoked : found.keys).push({ type, fingerprint: fingerprint(Buffer.from(b64, "base64")) });
    }
    return found;
}

/** Keys listed for host:port in a known_hosts file, revoked ones left out. */
export function knownHostKeys(path: string | undefined, host: string, port: number): PinnedKey[] {
    return readKnownHosts(path, host, port).keys;
}

function hostMatches(patterns: string, names: string[]): boolean {
    if (patterns.startsWith("|1|")) {
        const [, , salt, hash] = patterns.split("|");
        return names.some((n) => createHmac("sha1", Buffer.from(salt, "base64")).update(n).digest("base64") === hash);
    }
    let matched = false;
    for (const p of patterns.split(",")) {
        const negated = p.startsWith("!");
        const re = new RegExp(
            "^" + (negated ? p.slice(1) : p).replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$",
        );
        if (names.some((n) => re.test(n))) {
            if (negated) return false;
            matched = true;
        }
    }
    return matched;
}

export type HostKeyPolicy =
    | { kind: "pinned"; keys: PinnedKey[]; revoked?: PinnedKey[]; source: string }
    | { kind: "insecure" };

/** Checks a presented key against the policy; returns an error message, or undefined when accepted. */
export function verifyHostKey(policy: HostKeyPolicy, presented: Buffer, where: string): string | undefined {
    if (policy.kind === "insecure") return undefined;
    const fp = fingerprint(presented);
    const type = keyType(presented);
    // Revocation wins over any entry that lists the same key, as in OpenSSH.
    if (policy.revoked?.some((k) => k.fingerprint === fp)) {
        return `host key verification failed for ${where}: the host presented ${type} ${fp}, which ${policy.source} marks @revoked`;
    }
    if (policy.keys.length === 0) {
        return `host key verification failed for ${where}: unknown host key ${type} ${fp} (no pinned hostKey and no entry in ${policy.source}; pin it with connection.hostKey, or set connection.insecureIgnoreHostKey to opt out)`;
    }
    if (policy.keys.some((k) => k.fingerprint === fp)) return undefined;
    const expected = policy.keys.map((k) => `${k.type ?? ""} ${k.fingerprint}`.trim()).join(", ");
    return `host key verification failed for ${where}: the host presented ${type} ${fp}, expected ${expected} (from ${policy.source}); the host key changed or this is not the host you meant`;
}

/**
 * Host key algorithms to negotiate for a pinned key type. An RSA key signs with SHA-2
 * (rsa-sha2-512, rsa-sha2-256): SHA-1 `ssh-rsa` signatures are refused by OpenSSH 8.8+ on both sides.
 */
export function hostKeyAlgorithms(type: string): string[] {
    return type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256"] : [type];
}
