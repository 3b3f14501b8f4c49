// What this provider serves: its resources, functions and schema.
import { readFileSync } from "fs";
import { join } from "path";
import { ProviderDefinition } from "./protocol/server";
import { sysctlResource } from "./resources/sysctl/resource";
import { moduleBlocklistResource } from "./resources/modules/resource";
import { lockdownResource } from "./resources/lockdown/resource";
import { kernelPackagePinResource } from "./resources/kernelpin/resource";
import { auditFunction } from "./functions/audit";
import { makeConstruct } from "./protocol/construct";
import { constructKernelHardening, HARDENING_TOKEN } from "./components/hardening/component";

export const PROVIDER_NAME = "kernelhardening";

function packageRoot(): string {
    // dist/provider/definition.js or provider/definition.ts -> repository root
    let dir = __dirname;
    for (let i = 0; i < 4; i++) {
        try {
            readFileSync(join(dir, "schema.json"));
            return dir;
        } catch {
            dir = join(dir, "..");
        }
    }
    throw new Error("schema.json not found next to the provider");
}

export function definition(engineAddress?: string): ProviderDefinition {
    const root = packageRoot();
    const schema = readFileSync(join(root, "schema.json"), "utf8");
    return {
        name: PROVIDER_NAME,
        version: JSON.parse(schema).version,
        schema,
        resources: [
            sysctlResource,
            moduleBlocklistResource,
            lockdownResource,
            kernelPackagePinResource,
        ],
        functions: [
            auditFunction,
        ],
        construct: makeConstruct(engineAddress, { [HARDENING_TOKEN]: constructKernelHardening }),
    };
}
