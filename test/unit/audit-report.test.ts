// The fleet report as a person sees it: opened in headless Chromium (Debian's package), its counts,
// a filter that changes the rows, and a screenshot kept in test-artifacts/.
import { mkdirSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { chromium, BrowserContext } from "playwright-core";
import { audit } from "../../provider/audit/audit";
import { emptyFacts, parseKconfig } from "../../provider/audit/facts";
import { renderHtml, HostReport } from "../../provider/cli/report";

const ARTIFACTS = join(__dirname, "../../test-artifacts");

function host(target: string, kptr: string, hostile = "", release = "6.1.0-50-cloud-amd64",
    // 6.1 has TIOCSTI and no switch for it: the key is read and absent.
    more: Record<string, string | null> = { "dev.tty.legacy_tiocsti": null }): HostReport {
    const f = emptyFacts();
    f.kernelRelease = release;
    f.arch = "x86_64";
    f.kconfig = parseKconfig("CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\nCONFIG_RANDOMIZE_BASE=y\n");
    f.cmdline = `ro ${hostile}`;
    f.sysctls = { "kernel.kptr_restrict": kptr, ...more };
    return { target, kernelRelease: f.kernelRelease, findings: audit(f) };
}

const fixOf = (h: HostReport, id: string) => h.findings!.find((f) => f.id === id)!.fix;

describe("the HTML fleet report in a browser", () => {
    let browser: BrowserContext;
    beforeAll(async () => {
        // A fresh profile each run (playwright passes it to Chromium as --user-data-dir).
        browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "kh-chromium-")), {
            executablePath: "/usr/bin/chromium",
            viewport: { width: 1400, height: 900 },
            args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }, 60_000);
    afterAll(async () => browser?.close());

    it("shows the counts, filters rows, gives fixes, and renders host text as text", async () => {
        const hosts = [host("web-1", "2"), host("web-2", "0", "<img src=x onerror=alert(1)>"),
            { target: "db-1", error: "connect ECONNREFUSED 10.0.0.3:22" },
            host("web-3", "2", "", "6.12.57+deb13-cloud-amd64", { "dev.tty.legacy_tiocsti": "1" })];
        const dir = mkdtempSync(join(tmpdir(), "kh-report-"));
        const file = join(dir, "report.html");
        writeFileSync(file, renderHtml(hosts, "2026-12-01T00:00:00Z"));
        const page = await browser.newPage();
        const requests: string[] = [];
        page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        page.on("dialog", (d) => { errors.push(`dialog: ${d.message()}`); void d.dismiss(); });
        await page.goto(`file://${file}`);

        const total = hosts[0].findings!.length;
        expect(await page.textContent("#meta")).toBe(`4 hosts, ${total} checks, generated 2026-12-01T00:00:00Z`);
        const counts = (t: string) => page.textContent(`.bar[data-host="${t}"] .counts`);
        const c1 = hosts[0].findings!.filter((x) => x.status === "fail").length;
        expect(await counts("web-1")).toContain(`${c1} fail`);
        expect(await page.textContent('.bar[data-host="db-1"]')).toContain("unreachable: connect ECONNREFUSED");
        expect(await page.textContent("#shown")).toBe(`${total} of ${total} checks shown`);
        const visible = () => page.locator("#matrix tbody tr:visible").count();
        expect(await visible()).toBe(total);

        await page.selectOption("#f-severity", "high");
        const high = hosts[0].findings!.filter((x) => x.severity === "high").length;
        expect(await visible()).toBe(high);
        await page.selectOption("#f-category", "sysctl");
        await page.selectOption("#f-status", "fail");
        // kptr_restrict fails on web-2 only; the row is shown with its fix.
        const row = page.locator('#matrix tbody tr[data-id="sysctl.kernel.kptr_restrict"]');
        expect(await row.isVisible()).toBe(true);
        expect(await row.locator("td.fix").last().textContent()).toBe('Sysctl entries["kernel.kptr_restrict"] = "2"');
        // A check whose fix differs by host (a newer kernel on one, a Sysctl on the other) shows each host's.
        const tiocsti = page.locator('#matrix tbody tr[data-id="sysctl.dev.tty.legacy_tiocsti"]');
        expect(await tiocsti.locator("td.fix div").allTextContents()).toEqual([
            `web-1, web-2: ${fixOf(hosts[0], "sysctl.dev.tty.legacy_tiocsti")}`,
            `web-3: ${fixOf(hosts[3], "sysctl.dev.tty.legacy_tiocsti")}`,
        ]);
        expect(await page.textContent("#shown")).toMatch(new RegExp(`^\\d+ of ${total} checks shown$`));
        expect(await visible()).toBeLessThan(high);

        await page.selectOption("#f-severity", "");
        await page.selectOption("#f-category", "");
        await page.selectOption("#f-status", "");
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, "audit-report.png"), fullPage: false });
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        expect(await page.locator("img").count()).toBe(0);
    }, 60_000);
});
