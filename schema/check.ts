// Fails when schema.json is stale against the models, or sdk/ against schema.json: it rebuilds both
// into memory and a temporary folder and compares, without touching the checkout. Run by npm test.
//   tsx schema/check.ts [ROOT]
import { execFileSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, relative } from "path";
import { canonical, rawSchemaText, sdkToolsDir } from "./build";

/** What builds of the SDKs leave in sdk/ (their own .gitignore files say so): not generated files. */
const BUILD_OUTPUT = /^(nodejs\/(bin|node_modules)\/|python\/(build|dist)\/|python\/[^/]+\.egg-info\/|.*__pycache__\/)/;

function files(dir: string): string[] {
    if (!existsSync(dir)) return [];
    const out: string[] = [];
    const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
            const p = join(d, e.name);
            if (e.isDirectory()) walk(p);
            else out.push(relative(dir, p));
        }
    };
    walk(dir);
    return out.filter((f) => !BUILD_OUTPUT.test(f)).sort();
}

/** Files of `actual` that differ from, are missing from, or are not in `expected` (paths relative to both). */
export function staleFiles(expected: string, actual: string): string[] {
    const want = files(expected);
    const have = new Set(files(actual));
    const same = (f: string) => readFileSync(join(expected, f)).equals(readFileSync(join(actual, f)));
    const stale = want.filter((f) => !have.has(f) || !same(f));
    return [...stale, ...[...have].filter((f) => !want.includes(f))].sort();
}

/**
 * Stale generated files under root: schema.json, then sdk/*. `canon` is the engine's serialisation
 * of a schema and `genSdk(schemaPath, outDir)` makes the SDKs (both tools/gen-sdk); the SDKs are
 * checked only against a fresh schema.json, since a stale schema makes every SDK file stale too.
 */
export function checkGenerated(
    root: string,
    canon: (text: string) => string,
    genSdk: (schema: string, out: string) => void,
): string[] {
    const schemaPath = join(root, "schema.json");
    if (!existsSync(schemaPath) || readFileSync(schemaPath, "utf8") !== canon(rawSchemaText(root))) return ["schema.json"];
    const out = mkdtempSync(join(tmpdir(), "kh-sdk-check-"));
    try {
        genSdk(schemaPath, out);
        return staleFiles(out, join(root, "sdk")).map((f) => `sdk/${f}`);
    } finally {
        rmSync(out, { recursive: true, force: true });
    }
}

if (require.main === module) {
    const root = process.argv[2] ?? join(__dirname, "..");
    const stale = checkGenerated(root, canonical, (schema, out) => {
        execFileSync(join(sdkToolsDir(), "gen-sdk"), [schema, out], { stdio: "inherit" });
    });
    if (stale.length) {
        console.error(`stale generated files (run npm run schema and commit the result):\n  ${stale.join("\n  ")}`);
        process.exit(1);
    }
}
