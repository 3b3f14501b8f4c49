// Last line of defence: no secret value ever leaves the provider in a message.
export function scrubSecrets(message: string, secrets: Array<string | undefined>): string {
    let out = message;
    for (const s of secrets) {
        if (s && s.length >= 3) out = out.split(s).join("[secret]");
    }
    return out;
}
