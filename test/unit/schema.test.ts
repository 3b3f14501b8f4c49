// schema.json comes from the zod models; the freshness check fails on stale generated files.
import { spawnSync } from "child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { z } from "zod/v4";
import { TypeCollector } from "../../schema/convert";
import { rawSchemaText } from "../../schema/build";
import { checkGenerated, staleFiles } from "../../schema/check";

const root = join(__dirname, "../..");
const committed = () => JSON.parse(readFileSync(join(root, "schema.json"), "utf8"));
const T = (name: string) => `kernelhardening:index:${name}`;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function tempDir(): string {
    return mkdtempSync(join(tmpdir(), "kh-schema-test-"));
}

function put(dir: string, file: string, text: string): void {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
}

test("schema.json says what the models say (npm run schema)", () => {
    expect(committed()).toEqual(JSON.parse(rawSchemaText()));
});

test("every resource, function, property and type is documented", () => {
    const s = committed();
    const undocumented: string[] = [];
    const props = (where: string, p: Record<string, { description?: string }> = {}) => {
        for (const [k, v] of Object.entries(p)) if (!v.description) undocumented.push(`${where}.${k}`);
    };
    for (const [token, r] of Object.entries<Json>(s.resources)) {
        if (!r.description) undocumented.push(token);
        props(token, { ...r.inputProperties, ...r.properties });
    }
    for (const [token, f] of Object.entries<Json>(s.functions)) {
        if (!f.description) undocumented.push(token);
        props(`${token}(in)`, f.inputs.properties);
        props(`${token}(out)`, f.outputs.properties);
    }
    for (const [token, t] of Object.entries<Json>(s.types)) {
        if (!t.description) undocumented.push(token);
        props(token, t.properties);
    }
    expect(undocumented).toEqual([]);
});

test("enums of the models are enum types of the schema", () => {
    const s = committed();
    const values = (name: string) => s.types[T(name)].enum.map((e: { value: string }) => e.value);
    expect(values("LockdownMode")).toEqual(["integrity", "confidentiality"]);
    expect(values("Profile")).toEqual(["baseline", "strict"]);
    expect(values("AuditSeverity")).toEqual(["low", "medium", "high", "critical"]);
    expect(s.resources[T("Lockdown")].inputProperties.mode.$ref).toBe(`#/types/${T("LockdownMode")}`);
    const hardening = s.resources[T("KernelHardening")].inputProperties;
    expect([hardening.profile.$ref, hardening.profile.default]).toEqual([`#/types/${T("Profile")}`, "baseline"]);
    expect([hardening.lockdownMode.$ref, hardening.lockdownMode.default]).toEqual([`#/types/${T("LockdownMode")}`, "integrity"]);
    expect(s.functions[T("audit")].inputs.properties.minSeverity.$ref).toBe(`#/types/${T("AuditSeverity")}`);
    expect(s.types[T("AuditFinding")].properties.severity.$ref).toBe(`#/types/${T("AuditSeverity")}`);
});

test("defaults, secrets and required inputs come from the connection model", () => {
    const c = committed().types[T("Connection")];
    expect(c.properties.port).toEqual({ type: "integer", description: "The SSH port.", default: 22 });
    expect(c.properties.user.default).toBe("root");
    expect(["password", "privateKey", "privateKeyPassword"].map((k) => c.properties[k].secret)).toEqual([true, true, true]);
    expect(c.properties.host.secret).toBeUndefined();
    expect(c.required).toEqual(["host"]);
    expect(c.properties.proxy.$ref).toBe(`#/types/${T("ProxyConnection")}`);
    expect(committed().types[T("ProxyConnection")].properties.sudo).toBeUndefined();
});

test("the provider takes a secret connection, as config kernelhardening:connection too", () => {
    const s = committed();
    for (const p of [s.config.variables.connection, s.provider.inputProperties.connection]) {
        expect([p.$ref, p.secret]).toEqual([`#/types/${T("Connection")}`, true]);
    }
    expect(s.repository).toMatch(/^https:\/\//);
    expect(s.version).toBe(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
});

describe("the model converter", () => {
    const convert = (schema: z.ZodType) => {
        const types = new TypeCollector();
        return { ...types.object(schema, "T"), types: types.types };
    };

    test("carries descriptions, primitive defaults, secrets, maps, lists and required fields", () => {
        const out = convert(z.object({
            a: z.string().describe("A."),
            b: z.number().int().default(3).describe("B."),
            c: z.string().optional().meta({ secret: true, description: "C." }),
            d: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).describe("D."),
            e: z.array(z.string()).default([]).describe("E."),
        }));
        expect(out.properties).toEqual({
            a: { type: "string", description: "A." },
            b: { type: "integer", description: "B.", default: 3 },
            c: { type: "string", description: "C.", secret: true },
            d: { type: "object", additionalProperties: { type: "string" }, description: "D." },
            e: { type: "array", items: { type: "string" }, description: "E." },
        });
        expect(out.required).toEqual(["a", "d"]);
    });

    test("named objects and enums become types; the property describes its use, the type itself", () => {
        const Mode = z.enum(["x", "y"]).meta({ pulumiType: "Mode", typeDescription: "A mode." });
        const out = convert(z.object({ m: Mode.default("x").describe("Which mode."), n: Mode.optional() }));
        expect(out.properties.m).toEqual({ $ref: `#/types/${T("Mode")}`, description: "Which mode.", default: "x" });
        expect(out.properties.n).toEqual({ $ref: `#/types/${T("Mode")}`, description: "A mode." });
        expect(out.types[T("Mode")]).toEqual({ type: "string", enum: [{ value: "x" }, { value: "y" }], description: "A mode." });
    });

    test("refuses what the Pulumi schema would lose: unnamed enums and objects, a name used twice", () => {
        expect(() => convert(z.object({ m: z.enum(["x"]) }))).toThrow("T.m: an enum must be a named type");
        expect(() => convert(z.object({ o: z.object({ a: z.string() }) }))).toThrow("T.o: a nested object must be a named type");
        const A = z.enum(["x"]).meta({ pulumiType: "Same" });
        const B = z.enum(["y"]).meta({ pulumiType: "Same" });
        expect(() => convert(z.object({ a: A, b: B }))).toThrow("T.b: type Same is defined twice, differently");
    });
});

describe("the freshness check", () => {
    const dirs: string[] = [];
    // The engine's serialisation needs tools/gen-sdk; these tests compare raw JSON text instead.
    const same = (text: string) => text;
    afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    /** A checkout with this package.json and the given schema.json. */
    function checkout(schema: string): string {
        const d = tempDir();
        dirs.push(d);
        copyFileSync(join(root, "package.json"), join(d, "package.json"));
        writeFileSync(join(d, "schema.json"), schema);
        return d;
    }

    test("fails on a stale schema.json before generating any SDK", () => {
        const stale = readFileSync(join(root, "schema.json"), "utf8").replace("The SSH port.", "The port.");
        const gen = jest.fn();
        expect(checkGenerated(checkout(stale), same, gen)).toEqual(["schema.json"]);
        expect(gen).not.toHaveBeenCalled();
    });

    test("names SDK files edited by hand, missing or left over, and ignores build output", () => {
        const d = checkout(rawSchemaText());
        put(d, "sdk/nodejs/index.ts", "edited by hand\n");
        put(d, "sdk/go/extra.go", "package x\n");
        put(d, "sdk/python/pulumi_kernelhardening/lockdown.py", "same\n");
        put(d, "sdk/nodejs/bin/index.js", "build output\n");
        put(d, "sdk/python/pulumi_kernelhardening.egg-info/PKG-INFO", "build output\n");
        const gen = (_schema: string, out: string) => {
            put(out, "nodejs/index.ts", "generated\n");
            put(out, "nodejs/sysctl.ts", "generated\n");
            put(out, "python/pulumi_kernelhardening/lockdown.py", "same\n");
        };
        expect(checkGenerated(d, same, gen)).toEqual(["sdk/go/extra.go", "sdk/nodejs/index.ts", "sdk/nodejs/sysctl.ts"]);
        expect(staleFiles(join(d, "sdk"), join(d, "sdk"))).toEqual([]);
    });

    test("the command exits non-zero on a stale schema.json", () => {
        const stale = readFileSync(join(root, "schema.json"), "utf8").replace(/"version": "[^"]+"/, '"version": "0.0.0"');
        const r = spawnSync(join(root, "node_modules/.bin/tsx"), [join(root, "schema/check.ts"), checkout(stale)], { encoding: "utf8" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("stale generated files (run npm run schema and commit the result):\n  schema.json");
    }, 60_000);
});
