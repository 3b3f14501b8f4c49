// The Pulumi package schema: every resource, type and function with reference documentation.
// Inputs, their types, defaults and enums come from the zod models (schema/convert.ts); this file and
// the per-resource files say tokens, descriptions and outputs. schema.json is written from it by
// `npm run schema` and checked by schema/check.ts.
import { readFileSync } from "fs";
import { join } from "path";
import { PACKAGE, PropertySpec, typeRef, TypeCollector, typeToken } from "./convert";
import { FunctionDef, ResourceDef } from "./outputs";
import { sysctlSchema } from "./sysctl";
import { lockdownSchema } from "./lockdown";
import { kernelPackagePinSchema } from "./kernelpin";
import { modulesSchema } from "./modules";
import { hardeningSchema } from "./hardening";
import { auditSchema } from "./audit";
import { hostRebootSchema, kernelCmdlineSchema } from "./kernelcmdline";

const RESOURCES: ResourceDef[] = [
    sysctlSchema,
    lockdownSchema,
    kernelPackagePinSchema,
    modulesSchema,
    kernelCmdlineSchema,
    hostRebootSchema,
    hardeningSchema,
];
const FUNCTIONS: FunctionDef[] = [auditSchema];

/** The one place the version and repository are set: package.json. */
export function packageInfo(root = join(__dirname, "..")): { version: string; repository: string } {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    return { version: pkg.version, repository: pkg.repository.url.replace(/^git\+/, "").replace(/\.git$/, "") };
}

function mergeTypes(types: TypeCollector, defs: { outputTypes?: ResourceDef["outputTypes"]; token: string }[]) {
    for (const d of defs) {
        for (const [name, spec] of Object.entries(d.outputTypes ?? {})) types.add(name, spec, d.token);
    }
}

const RESOURCE_CONNECTION =
    "How to reach the host over SSH. Defaults to the provider's connection (`kernelhardening:connection`, or the " +
    "`connection` of an explicit provider); set here, it wins over it.";

/** The engine's serialisation leaves out an empty list. */
const requiredInputs = (names: string[]) => (names.length ? { requiredInputs: names } : {});

function resource(types: TypeCollector, r: ResourceDef) {
    const inputs = types.object(r.inputs, r.token);
    // A component's properties are its outputs; a custom resource's state holds its inputs too.
    const properties: Record<string, PropertySpec> = r.isComponent
        ? { ...r.outputs }
        : { ...inputs.properties, ...r.outputs };
    for (const p of r.required) if (!properties[p]) throw new Error(`${r.token}: required output ${p} is not a property`);
    // A custom resource may leave out its connection: the provider's is used (provider/framework/define.ts).
    const fromProvider = !r.isComponent && r.connectionFromProvider !== false && !!inputs.properties.connection;
    const inputProperties = !fromProvider
        ? inputs.properties
        : { ...inputs.properties, connection: { ...inputs.properties.connection, description: RESOURCE_CONNECTION } };
    if (inputProperties !== inputs.properties) properties.connection = inputProperties.connection;
    return {
        ...(r.isComponent ? { isComponent: true } : {}),
        description: r.description,
        inputProperties,
        ...requiredInputs(fromProvider ? inputs.required.filter((p) => p !== "connection") : inputs.required),
        properties,
        required: r.required,
    };
}

function fn(types: TypeCollector, f: FunctionDef) {
    const inputs = types.object(f.inputs, f.token);
    for (const p of f.required) if (!f.outputs[p]) throw new Error(`${f.token}: required output ${p} is not a property`);
    return {
        description: f.description,
        inputs: { properties: inputs.properties, required: inputs.required },
        outputs: { properties: f.outputs, required: f.required },
    };
}

export function buildSchema(root?: string) {
    const { version, repository } = packageInfo(root);
    const types = new TypeCollector();
    mergeTypes(types, [...RESOURCES, ...FUNCTIONS]);
    const resources = Object.fromEntries(RESOURCES.map((r) => [r.token, resource(types, r)]));
    const functions = Object.fromEntries(FUNCTIONS.map((f) => [f.token, fn(types, f)]));
    const providerConnection: PropertySpec = {
        $ref: typeRef("Connection"),
        description:
            "The connection every resource of this provider uses when it has no `connection` of its own (a resource's own connection wins). Always stored as a Pulumi secret. As stack config of the default provider: `kernelhardening:connection`.",
        secret: true,
    };
    const sorted = Object.fromEntries(Object.entries(types.types).sort(([a], [b]) => (a < b ? -1 : 1)));
    // The provider's connection is the resources' type (every resource's model registers it).
    if (!sorted[typeToken("Connection")]) throw new Error("the Connection type is missing");
    return {
        name: PACKAGE,
        displayName: "Kernel Hardening",
        version,
        description: "Declare the kernel security state of Linux hosts (sysctls, Lockdown, kernel pinning, audits) and reconcile it over SSH.",
        keywords: ["pulumi", "kernel", "linux", "security", "hardening", "sysctl", "lockdown", "category/infrastructure", "kind/native"],
        homepage: repository,
        repository,
        license: "Apache-2.0",
        publisher: "kernel hardening as code",
        meta: { moduleFormat: "(.*)", supportPack: true },
        language: {
            nodejs: {
                packageName: "@kernelhardening/pulumi",
                packageDescription: "Kernel hardening as code for Pulumi: sysctls, Lockdown, kernel pins and audits over SSH",
                dependencies: { "@pulumi/pulumi": "^3.248.0" },
                respectSchemaVersion: true,
            },
            python: { packageName: "pulumi_kernelhardening", respectSchemaVersion: true, pyproject: { enabled: true } },
            go: { importBasePath: `${repository.replace(/^https:\/\//, "")}/sdk/go/kernelhardening`, respectSchemaVersion: true },
        },
        config: { variables: { connection: providerConnection } },
        provider: {
            description:
                "The kernelhardening provider. Its `connection` is the host every resource of this provider reaches when the resource names none; a resource's own `connection` wins.",
            inputProperties: { connection: providerConnection },
        },
        types: sorted,
        resources,
        functions,
    };
}
