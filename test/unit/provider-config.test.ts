// The provider-level connection: CheckConfig, DiffConfig, Configure, and how a resource falls back to it.
import { checkProviderConfig, diffProviderConfig, providerConfig } from "../../provider/framework/provider-config";
import { UNKNOWN } from "../../provider/protocol/values";
import { ConnectionSchema } from "../../provider/ssh/connection";
import { sysctlResource } from "../../provider/resources/sysctl/resource";
import { lockdownResource } from "../../provider/resources/lockdown/resource";
import { kernelCmdlineResource } from "../../provider/resources/kernelcmdline/resource";
import { hostRebootResource } from "../../provider/resources/reboot/resource";

const conn = { host: "10.0.0.5", user: "kh", privateKey: "KEY", sudo: true };
const none = new Set<string>();

describe("CheckConfig", () => {
    test("a connection given as JSON text (stack config, an SDK's Provider) or as an object is parsed and validated", () => {
        const parsed = ConnectionSchema.parse(conn);
        expect(checkProviderConfig({ connection: JSON.stringify(conn) })).toEqual({
            inputs: { connection: parsed },
            failures: [],
        });
        expect(checkProviderConfig({ connection: conn, version: "0.1.0" })).toEqual({
            inputs: { connection: parsed, version: "0.1.0" },
            failures: [],
        });
        expect(checkProviderConfig({})).toEqual({ inputs: {}, failures: [] });
    });

    test("a connection that is not valid fails naming the property", () => {
        expect(checkProviderConfig({ connection: JSON.stringify({ host: "a b", port: 0 }) }).failures).toEqual([
            { property: "connection.host", reason: "connection.host: must be a host name or an IP address" },
            { property: "connection.port", reason: expect.stringMatching(/^connection\.port: /) },
        ]);
        expect(checkProviderConfig({ connection: "{host" }).failures).toEqual([
            { property: "connection", reason: "connection: kernelhardening:connection must be a JSON object" },
        ]);
        expect(checkProviderConfig({ connection: { ...conn, nosuch: 1 } }).failures[0].property).toBe("connection");
    });

    test("an unknown connection (preview) is passed on", () => {
        expect(checkProviderConfig({ connection: UNKNOWN })).toEqual({ inputs: { connection: UNKNOWN }, failures: [] });
        expect(providerConfig({ connection: UNKNOWN })).toEqual({ connection: UNKNOWN });
    });
});

describe("DiffConfig", () => {
    const a = ConnectionSchema.parse(conn);
    test("another host replaces the provider (and so its resources); new credentials update it", () => {
        expect(diffProviderConfig({ connection: a }, { connection: { ...a, host: "10.0.0.6" } })).toEqual([
            { path: "connection", kind: "update", replace: true },
        ]);
        expect(diffProviderConfig({ connection: a }, { connection: { ...a, port: 2222 } })[0].replace).toBe(true);
        expect(diffProviderConfig({ connection: a }, { connection: { ...a, privateKey: "KEY2" } })).toEqual([
            { path: "connection", kind: "update", replace: false },
        ]);
        expect(diffProviderConfig({ connection: a }, { connection: JSON.stringify(a) })).toEqual([]);
    });

    test("gaining or losing the default replaces nothing: resources with their own connection stay", () => {
        expect(diffProviderConfig({}, { connection: a })).toEqual([{ path: "connection", kind: "add" }]);
        expect(diffProviderConfig({ connection: a }, {})).toEqual([{ path: "connection", kind: "delete" }]);
        expect(diffProviderConfig({ connection: a }, { connection: UNKNOWN })[0].replace).toBe(true);
    });
});

describe("a resource's connection", () => {
    const provider = providerConfig({ connection: JSON.stringify({ host: "10.0.0.9", privateKey: "PKEY" }) });
    const news = { file: "90-x.conf", entries: { "kernel.kptr_restrict": "2" } };

    test("without one, the provider's is used and checked as the resource's own", async () => {
        const r = await sysctlResource.check(news, none, {}, provider);
        expect(r.failures).toEqual([]);
        expect(r.inputs.connection).toEqual(ConnectionSchema.parse({ host: "10.0.0.9", privateKey: "PKEY" }));
    });

    test("KernelCmdline and HostReboot take the provider's too", async () => {
        for (const [h, args] of [
            [kernelCmdlineResource, { parameters: { "module.sig_enforce": "1" } }],
            [hostRebootResource, { rebootRequired: [true] }],
        ] as const) {
            const r = await h.check(args, none, {}, provider);
            expect([h.token, r.failures, r.inputs.connection]).toEqual([
                h.token,
                [],
                ConnectionSchema.parse({ host: "10.0.0.9", privateKey: "PKEY" }),
            ]);
        }
    });

    test("the resource's own wins", async () => {
        const r = await sysctlResource.check({ ...news, connection: conn }, none, {}, provider);
        expect(r.inputs.connection).toEqual(ConnectionSchema.parse(conn));
    });

    test("with neither, check fails naming both places, for every resource", async () => {
        for (const [h, args] of [
            [sysctlResource, news],
            [lockdownResource, { mode: "integrity" }],
            [kernelCmdlineResource, { parameters: { "module.sig_enforce": "1" } }],
            [hostRebootResource, { rebootRequired: [true] }],
        ] as const) {
            const r = await h.check(args, none, {}, {});
            expect(r.failures).toEqual([
                {
                    property: "connection",
                    reason: expect.stringMatching(
                        /set `connection` on the resource, or .*`kernelhardening:connection` in the stack config, or `connection` of an explicit provider/,
                    ),
                },
            ]);
        }
    });

    test("a provider connection not known yet (preview) leaves the resource's connection unknown", async () => {
        const r = await sysctlResource.check(news, none, {}, { connection: UNKNOWN });
        expect(r).toEqual({
            inputs: expect.objectContaining({ connection: UNKNOWN, file: "90-x.conf" }),
            failures: [],
        });
        expect(
            (await sysctlResource.check({ ...news, file: "../x" }, none, {}, { connection: UNKNOWN })).failures[0]
                .property,
        ).toBe("file");
    });
});
