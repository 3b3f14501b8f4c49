// Fails when schema.json or sdk/nodejs/index.ts is stale against the schema sources.
import { readFileSync } from "fs";
import { join } from "path";
import { execFileSync } from "child_process";

const root = join(__dirname, "..");
const before = [readFileSync(join(root, "schema.json"), "utf8"), readFileSync(join(root, "sdk/nodejs/index.ts"), "utf8")];
execFileSync("npx", ["tsx", join(root, "schema/build.ts")], { stdio: "inherit" });
execFileSync("npx", ["tsx", join(root, "schema/gen-nodejs.ts")], { stdio: "inherit" });
const after = [readFileSync(join(root, "schema.json"), "utf8"), readFileSync(join(root, "sdk/nodejs/index.ts"), "utf8")];
if (before[0] !== after[0] || before[1] !== after[1]) {
    console.error("schema.json or sdk/nodejs/index.ts was stale; regenerated it: commit the result (npm run schema)");
    process.exit(1);
}
