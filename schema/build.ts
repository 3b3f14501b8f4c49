// Writes schema.json from the models and the per-resource output definitions (schema/schema.ts).
// Run with `npm run schema`, which then regenerates the SDKs; schema/check.ts (run by npm test)
// fails when schema.json or sdk/ is stale.
import { writeFileSync } from "fs";
import { join } from "path";
import { buildSchema } from "./schema";

export function schemaText(root?: string): string {
    return JSON.stringify(buildSchema(root), null, 2) + "\n";
}

if (require.main === module) writeFileSync(join(__dirname, "..", "schema.json"), schemaText());
