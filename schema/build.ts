// Writes schema.json from the models and the per-resource output definitions (schema/schema.ts), in
// the form the engine serialises a schema (tools/gen-sdk -canonical), so that `pulumi package
// get-schema` prints exactly this file. Run with `npm run schema`, which then regenerates the SDKs;
// schema/check.ts (run by npm test) fails when schema.json or sdk/ is stale.
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { buildSchema } from "./schema";

/** The schema as JSON, before the engine's serialisation (same content, other key order and escapes). */
export function rawSchemaText(root?: string): string {
    return JSON.stringify(buildSchema(root), null, 2) + "\n";
}

/** The folder of gen-sdk (scripts/build-sdk-tools.sh builds and caches it). */
export function sdkToolsDir(): string {
    return process.env.KH_SDK_TOOLS_DIR ??= execFileSync("bash", [join(__dirname, "..", "scripts/build-sdk-tools.sh")], {
        stdio: ["ignore", "pipe", "inherit"],
    }).toString().trim();
}

/** `text` as the engine serialises a schema.PackageSpec. */
export function canonical(text: string): string {
    const dir = mkdtempSync(join(tmpdir(), "kh-schema-"));
    try {
        writeFileSync(join(dir, "in.json"), text);
        execFileSync(join(sdkToolsDir(), "gen-sdk"), ["-canonical", join(dir, "in.json"), join(dir, "out.json")], { stdio: "inherit" });
        return readFileSync(join(dir, "out.json"), "utf8");
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

if (require.main === module) writeFileSync(join(__dirname, "..", "schema.json"), canonical(rawSchemaText()));
