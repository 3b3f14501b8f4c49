// Many hosts at once: targets from arguments and an inventory file, audited in parallel with a
// bound, with progress for a person on a terminal.
import { readFileSync } from "fs";

export interface Target {
    user?: string;
    host: string;
    port?: number;
    /** As written, for messages and the report. */
    label: string;
}

const TARGET = /^(?:([^@\s]+)@)?(\[[^\]\s]+\]|[^:\s]+)(?::(\d+))?$/;

export function parseTarget(s: string): Target | null {
    const m = TARGET.exec(s.trim());
    if (!m) return null;
    return { user: m[1], host: m[2].replace(/^\[|\]$/g, ""), port: m[3] ? Number(m[3]) : undefined, label: s.trim() };
}

/** One target a line; blank lines and `#` comments are skipped. Errors name the file and line. */
export function readInventory(path: string): Target[] {
    const out: Target[] = [];
    readFileSync(path, "utf8")
        .split(/\r?\n/)
        .forEach((raw, i) => {
            const line = raw.replace(/#.*/, "").trim();
            if (!line) return;
            const t = parseTarget(line);
            if (!t) throw new Error(`${path}:${i + 1}: cannot read the target ${JSON.stringify(line)}`);
            out.push(t);
        });
    return out;
}

/** Runs `work` on every item, at most `limit` at a time, keeping the input order in the result. */
export async function mapBounded<T, R>(
    items: T[],
    limit: number,
    work: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await work(items[i], i);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    return out;
}

/** A one-line progress display on a terminal; silent elsewhere. */
export function progress(
    total: number,
    stream: NodeJS.WriteStream = process.stderr,
): { done(label: string, ok: boolean): void; end(): void } {
    let n = 0;
    let failed = 0;
    const tty = stream.isTTY === true;
    return {
        done(label, ok) {
            n++;
            if (!ok) failed++;
            if (tty)
                stream.write(
                    `\r\x1b[2Kaudited ${n}/${total}${failed ? ` (${failed} unreachable)` : ""}: ${label.slice(0, 60)}`,
                );
        },
        end() {
            if (tty && total > 0) stream.write("\n");
        },
    };
}
