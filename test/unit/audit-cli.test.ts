// The CLI's offline audits (--config, --sysctl) and what it prints: nothing a host or a file sent
// reaches the terminal as a control sequence.
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { main } from "../../provider/cli/main";
import { escapeControls, formatTable } from "../../provider/cli/table";
import { Finding } from "../../provider/audit/audit";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const o = jest.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
    const e = jest.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
    try {
        return { code: await main(args), out, err };
    } finally {
        o.mockRestore();
        e.mockRestore();
    }
}

const fixture = join(__dirname, "../fixtures/audit/hostile.config");

describe("escapeControls", () => {
    it("escapes C0, DEL and C1 characters and keeps printable text", () => {
        expect(escapeControls("a\x1b[2Jb\x07c\x7f\x9bd\tё")).toBe("a\\x1b[2Jb\\x07c\\x7f\\x9bd\\x09ё");
    });

    it("is applied to what a host sent in the table", () => {
        const f = { id: "x", status: "fail", severity: "low", observed: "\x1b]0;title\x07", expected: "1", fix: "f" } as Finding;
        expect(formatTable([f], { color: false })).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    });
});

describe("kernelhardening audit --config", () => {
    it("audits a config on disk with a command line and a sysctl dump, offline", async () => {
        const dir = mkdtempSync(join(tmpdir(), "kh-cli-"));
        writeFileSync(join(dir, "cmdline"), "ro module.sig_enforce=1\n");
        writeFileSync(join(dir, "sysctl"), "kernel.kptr_restrict = 2\nkernel.dmesg_restrict = 0\n");
        const r = await run(["audit", "--config", fixture, "--cmdline", join(dir, "cmdline"), "--sysctl", join(dir, "sysctl"), "--json"]);
        const res = JSON.parse(r.out);
        const byId = Object.fromEntries(res.findings.map((x: Finding) => [x.id, x]));
        expect(byId["kconfig.MODULE_SIG"].status).toBe("pass");
        expect(byId["cmdline.module.sig_enforce"].status).toBe("pass");
        expect(byId["sysctl.kernel.kptr_restrict"].status).toBe("pass");
        expect(byId["sysctl.kernel.dmesg_restrict"].status).toBe("fail");
        // Missing from a full dump means missing on that kernel.
        expect(byId["sysctl.fs.suid_dumpable"].status).toBe("fail");
        expect(byId["runtime.lockdown"].status).toBe("unknown");
        expect(r.code).toBe(1);
    });

    it("prints no raw control character from the file, and exits 2 on a missing file", async () => {
        const r = await run(["audit", "--config", fixture, "--fail-on", "critical"]);
        expect(r.code).toBe(0);
        expect(r.out).toContain("kconfig.LSM");
        expect(r.out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
        expect((await run(["audit", "--config", "/nonexistent/config"])).code).toBe(2);
    });
});
