// A plain-text table of findings; colour only when asked (the caller checks for a TTY). Everything a
// host sent is escaped first, so its control sequences never reach the operator's terminal.
import { Finding } from "../audit/audit";

const COLORS = { pass: "\x1b[32m", fail: "\x1b[31m", unknown: "\x1b[33m", reset: "\x1b[0m" };

/** C0 and C1 control characters (and DEL) as visible escapes: ESC -> \x1b. */
export function escapeControls(s: string): string {
     
    return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function clip(s: string, n: number): string {
    return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

export function formatTable(findings: Finding[], opts: { color: boolean }): string {
    const rows = findings.map((f) => [f.status.toUpperCase(), f.severity, f.id, clip(escapeControls(f.observed ?? "-"), 28),
        clip(f.expected, 28), f.status === "fail" ? f.fix : ""]);
    const header = ["STATUS", "SEVERITY", "CHECK", "OBSERVED", "EXPECTED", "FIX"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
    const body = rows.map((r, i) => {
        const text = line(r);
        if (!opts.color) return text;
        return COLORS[findings[i].status] + text.slice(0, widths[0]) + COLORS.reset + text.slice(widths[0]);
    });
    return [line(header), ...body].join("\n");
}
