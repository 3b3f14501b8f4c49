// defineResource: the glue every resource gets, and the defects it fixed in the four resources.
import { z } from "zod/v4";
import { Ctx, Props, ResourceHandler } from "../../provider/protocol/contract";
import { UNKNOWN } from "../../provider/protocol/values";
import { BaseInputs, defineResource, ResourceDefinition } from "../../provider/framework/define";
import { ConnectionSchema } from "../../provider/ssh/connection";
import { HostError } from "../../provider/ssh/pool";
import { ObservedPin } from "../../provider/resources/kernelpin/model";

const observePin = jest.fn<Promise<ObservedPin>, unknown[]>();
jest.mock("../../provider/resources/kernelpin/host", () => ({
    ...jest.requireActual("../../provider/resources/kernelpin/host"),
    observePin: (...args: unknown[]) => observePin(...args),
}));

// Loaded after the mock so the resource sees the fake host.
import { kernelPackagePinResource } from "../../provider/resources/kernelpin/resource";
import { moduleBlocklistResource } from "../../provider/resources/modules/resource";
import { sysctlResource } from "../../provider/resources/sysctl/resource";
import { lockdownResource } from "../../provider/resources/lockdown/resource";
import { kernelCmdlineResource } from "../../provider/resources/kernelcmdline/resource";
import { hostRebootResource } from "../../provider/resources/reboot/resource";

const conn = { host: "10.0.0.5", port: 22, user: "root", privateKey: "KEY" };
const ctx: Ctx = { warn: () => undefined, info: () => undefined };
const none = new Set<string>();

describe("KernelPackagePin check against the host", () => {
    const META = "linux-image-cloud-amd64";
    const OTHER = "linux-image-rt-amd64";
    const V = "6.1.176-1";
    const pkg = (name: string, version: string | null, installed: boolean) => ({
        name,
        version,
        status: installed ? "ii" : "un",
        installed,
        depends: [],
    });
    const policy = (installed: string | null, versions: string[]) => ({
        installed,
        candidate: versions[0],
        versions: versions.map((version) => ({
            version,
            priority: 500,
            installed: version === installed,
            sources: [],
        })),
    });
    beforeEach(() => {
        observePin.mockResolvedValue({
            otherPackageManager: null,
            runningKernel: "6.1.0-50-cloud-amd64",
            unameVersion: "",
            pinFile: null,
            packages: { [META]: pkg(META, V, true), [OTHER]: pkg(OTHER, null, false) },
            policy: { [META]: policy(V, [V]), [OTHER]: policy(null, [V]) },
            aptError: null,
            holds: [],
            ours: [],
            images: {},
            changes: [],
        });
    });

    test("a package that is not installed is blamed on packages even when a version is set", async () => {
        const r = await kernelPackagePinResource.check(
            { connection: conn, packages: [META, OTHER], version: V },
            none,
            {},
        );
        expect(r.failures).toEqual([
            {
                property: "packages",
                reason: `packages: ${OTHER} is not installed (apt has ${V}); install the version to pin first`,
            },
        ]);
    });

    test("a version apt does not know is blamed on version", async () => {
        const r = await kernelPackagePinResource.check(
            { connection: conn, packages: [META], version: "9.9-1" },
            none,
            {},
        );
        expect(r.failures.map((f) => f.property)).toEqual(["version"]);
        expect(r.failures[0].reason).toMatch(/^version: apt knows no version 9\.9-1 of linux-image-cloud-amd64/);
    });

    test("an existing pin and previewReadsHost: false never read the host at check", async () => {
        observePin.mockClear();
        await kernelPackagePinResource.check({ connection: conn, packages: [OTHER] }, none, { connection: conn });
        await kernelPackagePinResource.check(
            { connection: conn, packages: [OTHER], previewReadsHost: false },
            none,
            {},
        );
        expect(observePin).not.toHaveBeenCalled();
    });
});

describe("ModuleBlocklist while values are unknown", () => {
    test("the known properties are still checked, naming the property", async () => {
        const r = await moduleBlocklistResource.check(
            { connection: UNKNOWN, modules: ["ok", "a b"] },
            new Set(["connection"]),
            {},
        );
        expect(r.failures).toEqual([
            { property: "modules[1]", reason: expect.stringMatching(/^modules\[1\]: must be a kernel module name/) },
        ]);
        const ok = await moduleBlocklistResource.check(
            { connection: UNKNOWN, modules: ["nf-tables"] },
            new Set(["connection"]),
            {},
        );
        expect(ok).toEqual({
            inputs: {
                connection: UNKNOWN,
                modules: ["nf-tables"],
                file: "90-kernelhardening-blocklist.conf",
                previewReadsHost: true,
                adopt: false,
            },
            failures: [],
        });
    });

    test("an unknown file or connection is a replacement, deleting first; other unknowns an update", async () => {
        const olds = { connection: conn, modules: ["udf"], file: "90-kernelhardening-blocklist.conf" };
        const d = await moduleBlocklistResource.diff(ctx, {
            id: "i",
            olds,
            news: { ...olds, file: UNKNOWN, connection: UNKNOWN },
            unknownProps: new Set(["file", "connection"]),
        });
        expect(d).toEqual({
            changes: [
                { path: "file", kind: "update", replace: true },
                { path: "connection", kind: "update", replace: true },
            ],
            deleteBeforeReplace: true,
        });
        const m = await moduleBlocklistResource.diff(ctx, {
            id: "i",
            olds,
            news: { ...olds, modules: UNKNOWN },
            unknownProps: new Set(["modules"]),
        });
        expect(m.changes).toEqual([{ path: "modules", kind: "update", replace: false }]);
    });
});

describe("derived for every resource", () => {
    const all: ResourceHandler[] = [
        sysctlResource,
        moduleBlocklistResource,
        lockdownResource,
        kernelPackagePinResource,
        kernelCmdlineResource,
        hostRebootResource,
    ];

    test("connection credentials are secret paths, and previewReadsHost: false turns refresh-before-update off", () => {
        for (const h of all.filter((r) => r !== hostRebootResource)) {
            expect(h.secretPaths).toEqual(
                expect.arrayContaining(["connection.password", "connection.privateKey", "connection.proxy.privateKey"]),
            );
            expect([
                h.token,
                h.refreshBeforeUpdate?.({ previewReadsHost: false }),
                h.refreshBeforeUpdate?.({}),
            ]).toEqual([h.token, false, true]);
        }
    });

    test("a bad connection fails check naming the property, for every resource", async () => {
        for (const h of all) {
            const r = await h.check(
                {
                    connection: { host: "a b" },
                    mode: "integrity",
                    modules: ["udf"],
                    file: "x.conf",
                    entries: { "kernel.a": "1" },
                    parameters: { slab_nomerge: "" },
                },
                none,
                {},
            );
            expect([h.token, r.failures.find((f) => f.property.startsWith("connection"))?.property]).toEqual([
                h.token,
                "connection.host",
            ]);
        }
    });

    test("HostReboot reads no host, so the engine never refreshes it before an update", async () => {
        expect(hostRebootResource.secretPaths).toContain("connection.privateKey");
        expect(hostRebootResource.refreshBeforeUpdate?.({})).toBe(false);
        const outputs = { connection: conn, bootId: "b1", rebooted: true, rebootedAt: "2026-01-01T00:00:00Z", cmdline: "x" };
        const r = await hostRebootResource.read(ctx, { id: "10.0.0.5:22:reboot", outputs, inputs: { connection: conn } });
        expect(r?.outputs).toMatchObject({ bootId: "b1", rebooted: true, rebootedAt: "2026-01-01T00:00:00Z" });
    });

    test("a resource without an import spec says it cannot be imported, before any host is contacted", async () => {
        await expect(
            kernelCmdlineResource.read(ctx, { id: "10.0.0.5:22:kernel-cmdline", outputs: {}, inputs: {}, provider: { connection: conn } }),
        ).rejects.toThrow('cannot import "10.0.0.5:22:kernel-cmdline": a KernelCmdline cannot be imported');
    });

    test("KernelCmdline: a parameter that breaks the grammar fails check naming it, while other values are unknown", async () => {
        const r = await kernelCmdlineResource.check(
            { connection: UNKNOWN, parameters: { "a b": "1" } },
            new Set(["connection"]),
            {},
        );
        expect(r.failures.map((f) => f.property)).toEqual(['parameters["a b"]']);
        const d = await kernelCmdlineResource.diff(ctx, {
            id: "i",
            olds: { connection: conn, parameters: { x: "1" } },
            news: { connection: UNKNOWN, parameters: { x: "1" } },
            unknownProps: new Set(["connection"]),
        });
        expect(d).toEqual({ changes: [{ path: "connection", kind: "update", replace: true }], deleteBeforeReplace: true });
    });

    test("recorded state that does not parse is an error naming the resource, not a later wrong cast", async () => {
        const news = { connection: conn, file: "90-x.conf", entries: { "kernel.kptr_restrict": "2" } };
        await expect(
            sysctlResource.diff(ctx, {
                id: "h:22:/etc/sysctl.d/90-x.conf",
                olds: { ...news, previousValues: "oops" },
                news,
                unknownProps: none,
            }),
        ).rejects.toThrow(/^h:22:\/etc\/sysctl\.d\/90-x\.conf: the recorded state is not valid: previousValues: /);
    });
});

describe("defineResource", () => {
    const Obj = z
        .object({ connection: ConnectionSchema, name: z.string().min(1), previewReadsHost: z.boolean().default(true) })
        .strict();
    const State = z.looseObject({ name: z.string().optional(), seen: z.number().default(0) });
    type Def = ResourceDefinition<typeof Obj, typeof Obj, typeof State>;
    const spec: NonNullable<Def["import"]> = {
        format: "[user@]host:port:thing/NAME",
        rest: /^thing\/([a-z]+)$/,
        read: async (_c, connection, [, name]) => {
            const inputs = Obj.parse({ connection, name });
            return { inputs, outputs: { ...inputs, seen: 0 } };
        },
    };
    const base: Def = {
        token: "test:index:Thing",
        inputObject: Obj,
        inputs: Obj,
        state: State,
        replaceOnChanges: ["connection"],
        id: (i) => i.name,
        diff: () => [],
        create: async (_c, i) => ({ ...i, seen: 1 }),
        read: async (_c, { inputs, olds }) => ({ ...inputs, seen: olds.seen + 1 }),
        update: async (_c, { news }) => news,
        delete: async () => undefined,
        import: spec,
    };

    test("errors name the host unless the SSH layer already did", async () => {
        const h = defineResource({
            ...base,
            create: async () => {
                throw new Error("it broke");
            },
        });
        await expect(h.create(ctx, { connection: conn, name: "n" })).rejects.toThrow(/^10\.0\.0\.5:22: it broke$/);
        const ssh = new HostError("ssh: connection refused by 10.0.0.5", true);
        const h2 = defineResource({
            ...base,
            create: async () => {
                throw ssh;
            },
        });
        await expect(h2.create(ctx, { connection: conn, name: "n" })).rejects.toBe(ssh);
        expect(ssh.message).toBe("ssh: connection refused by 10.0.0.5");
    });

    test("read picks the inputs out of the state and parses the state it was given", async () => {
        const h = defineResource(base);
        const outputs: Props = { connection: conn, name: "n", seen: 4, extra: true };
        const r = await h.read(ctx, { id: "n", outputs, inputs: {} });
        expect(r).toEqual({
            id: "n",
            outputs: { connection: { ...ConnectionSchema.parse(conn) }, name: "n", previewReadsHost: true, seen: 5 },
            inputs: { connection: conn, name: "n" },
        });
    });

    test("an id that does not parse fails showing the format, before any host is contacted", async () => {
        const read = jest.fn(spec.read);
        const h = defineResource({ ...base, import: { ...spec, read } });
        const provider = { connection: conn };
        for (const id of [
            "thing/a",
            "10.0.0.5:thing/a",
            "10.0.0.5:22:other/a",
            "a b:22:thing/a",
            "10.0.0.5:22:thing/A",
        ]) {
            await expect(h.read(ctx, { id, outputs: {}, inputs: {}, provider })).rejects.toThrow(
                `cannot import ${JSON.stringify(id)}: the id of a Thing is [user@]host:port:thing/NAME`,
            );
        }
        await expect(h.read(ctx, { id: "10.0.0.5:22:thing/a", outputs: {}, inputs: {} })).rejects.toThrow(
            /the provider's connection, and it has none .*`kernelhardening:connection`/,
        );
        expect(read).not.toHaveBeenCalled();
    });

    test("an import reads with the provider's connection, at the host, port and user of the id", async () => {
        const h = defineResource(base);
        const provider = { connection: { ...conn, hostKey: "ssh-ed25519 AAAAkey", sudo: true } };
        const r = await h.read(ctx, { id: "kh@[fd00::5]:2222:thing/web", outputs: {}, inputs: {}, provider });
        const connection = ConnectionSchema.parse({ ...provider.connection, host: "fd00::5", port: 2222, user: "kh" });
        expect(r).toEqual({
            id: "web",
            inputs: { connection, name: "web", previewReadsHost: true },
            outputs: { connection, name: "web", previewReadsHost: true, seen: 0 },
        });
    });

    test("what a resource supports is checked by the compiler", () => {
        const { delete: _d, ...noDelete } = base;
        // @ts-expect-error a resource must say how it is deleted
        const missing: Def = noDelete;
        // @ts-expect-error replaceOnChanges names input properties only
        const wrongName: Def = { ...base, replaceOnChanges: ["nosuch"] };
        // @ts-expect-error create must return what the state schema accepts
        const wrongState: Def = { ...base, create: async () => ({ seen: "many" }) };
        // @ts-expect-error inputs without a connection are not a resource's inputs
        const noConnection: ResourceDefinition<typeof Obj, z.ZodType<{ name: string }>, typeof State> = {
            ...base,
            inputs: z.object({ name: z.string() }),
        };
        const inputs: BaseInputs = Obj.parse({ connection: conn, name: "n" });
        expect([missing, wrongName, wrongState, noConnection, inputs.previewReadsHost]).toHaveLength(5);
    });
});
