// What this provider serves: its resources, functions and schema.
import { readFileSync } from "fs";
import { join } from "path";
import { ProviderDefinition } from "./protocol/server";
import { sysctlResource } from "./resources/sysctl/resource";
import { moduleBlocklistResource } from "./resources/modules/resource";
import { lockdownResource } from "./resources/lockdown/resource";
import { kernelPackagePinResource } from "./resources/kernelpin/resource";
import { kernelCmdlineResource } from "./resources/kernelcmdline/resource";
import { hostRebootResource } from "./resources/reboot/resource";
import { auditFunction } from "./functions/audit";
import type * as construct from "./protocol/construct";
import type * as hardening from "./components/hardening/component";

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
            kernelCmdlineResource,
            hostRebootResource,
        ],
        functions: [
            auditFunction,
        ],
        construct: lazyConstruct(engineAddress),
    };
}

// Only Construct needs @pulumi/pulumi's runtime (about 60 MB and 0.4 s to load); custom resources and
// invokes do not, so it is loaded on the first Construct call rather than at every provider start.
function lazyConstruct(engineAddress: string | undefined): NonNullable<ProviderDefinition["construct"]> {
    let served: NonNullable<ProviderDefinition["construct"]> | undefined;
    return (req, call) => {
        if (!served) {
            /* eslint-disable @typescript-eslint/no-require-imports */
            const { makeConstruct } = require("./protocol/construct") as typeof construct;
            const { constructKernelHardening, HARDENING_TOKEN } = require("./components/hardening/component") as typeof hardening;
            /* eslint-enable @typescript-eslint/no-require-imports */
            served = makeConstruct(engineAddress, { [HARDENING_TOKEN]: constructKernelHardening });
        }
        return served(req, call);
    };
}
