// Generates schema.json from the per-resource schema fragments, so the descriptions live next to
// the code they document. Run with `npm run schema`; a unit test fails when schema.json is stale.
import { writeFileSync } from "fs";
import { join } from "path";
import { buildSchema, SchemaFragment } from "./schema";
import { lockdownSchema } from "./lockdown";
import { auditSchema } from "./audit";
import { hardeningSchema } from "./hardening";
import { modulesSchema } from "./modules";
import { kernelPackagePinSchema } from "./kernelpin";
import { kernelCmdlineSchema } from "./kernelcmdline";

// One fragment per resource family besides Sysctl (which lives in schema.ts with the shared types).
const fragments: SchemaFragment[] = [
    lockdownSchema,
    auditSchema,
    hardeningSchema,
    modulesSchema,
    kernelPackagePinSchema,
    kernelCmdlineSchema,
];

writeFileSync(join(__dirname, "..", "schema.json"), JSON.stringify(buildSchema(fragments), null, 2) + "\n");
