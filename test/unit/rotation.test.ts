// Rotated credentials: a refresh that cannot get in keeps the recorded state and plans an update of
// `connection`; a changed connection is an update; other failures still fail.
import { CredentialError, HostError } from "../../provider/ssh/pool";
import { REFRESH_REFUSED, withConnectionRotation } from "../../provider/framework/rotation";
import { Ctx, Props, ResourceHandler } from "../../provider/protocol/contract";

const conn = { host: "10.0.0.5", port: 22, user: "root", privateKey: "KEY", hostKey: "ssh-ed25519 AAAAold" };

function fake(readError?: Error) {
    const calls: Array<{ op: string; olds?: Props }> = [];
    const h: ResourceHandler = {
        token: "t",
        secretPaths: [],
        check: async (news) => ({ inputs: news, failures: [] }),
        diff: async () => ({ changes: [] }),
        create: async () => ({ id: "x", outputs: {} }),
        read: async (_c, req) => {
            if (readError) throw readError;
            return { id: req.id, outputs: { ...req.outputs, fresh: true }, inputs: req.inputs };
        },
        update: async (_c, req) => {
            calls.push({ op: "update", olds: req.olds });
            return req.news;
        },
        delete: async () => undefined,
    };
    return { h: withConnectionRotation(h), calls };
}

function ctx() {
    const warnings: string[] = [];
    const c: Ctx = { warn: (m) => warnings.push(m), info: () => undefined };
    return { c, warnings };
}

test("a refresh refused by host key or credentials keeps the recorded state, warns and marks it", async () => {
    const { h } = fake(new CredentialError("host key verification failed for 10.0.0.5:22: the host presented ..."));
    const { c, warnings } = ctx();
    const outputs = { connection: conn, entries: { a: "1" } };
    const r = await h.read(c, { id: "i", outputs, inputs: { connection: conn } });
    expect(r?.outputs).toEqual({ ...outputs, [REFRESH_REFUSED]: expect.stringMatching(/^host key verification failed/) });
    expect(r?.inputs).toEqual({ connection: conn });
    expect(warnings).toEqual([expect.stringMatching(/^could not refresh: host key verification failed.*reconnects with the connection in your program/)]);
});

test("other refresh failures, and an import that cannot get in, still fail", async () => {
    const { c } = ctx();
    await expect(fake(new HostError("10.0.0.5:22: connection refused", true)).h.read(c, { id: "i", outputs: { connection: conn }, inputs: {} })).rejects.toThrow(/connection refused/);
    await expect(fake(new CredentialError("10.0.0.5:22: authentication failed")).h.read(c, { id: "i", outputs: {}, inputs: {} })).rejects.toThrow(/authentication failed/);
    const ok = await fake().h.read(c, { id: "i", outputs: { connection: conn }, inputs: {} });
    expect(ok?.outputs.fresh).toBe(true);
});

describe("diff", () => {
    const diffOf = (olds: Props, news: Props, unknown: string[] = []) => fake().h.diff(ctx().c, { id: "i", olds, news, unknownProps: new Set(unknown) });

    test("a marked refresh plans an update of connection, so the program's connection is dialled and verified", async () => {
        expect((await diffOf({ connection: conn, [REFRESH_REFUSED]: "x" }, { connection: conn })).changes).toEqual([{ path: "connection", kind: "update" }]);
    });

    test("a new host key, password or key in the program is an update; the agent socket path and an unchanged connection are not", async () => {
        expect((await diffOf({ connection: conn }, { connection: { ...conn, hostKey: "ssh-ed25519 AAAAnew" } })).changes).toEqual([{ path: "connection", kind: "update" }]);
        expect((await diffOf({ connection: conn }, { connection: { ...conn, privateKey: "KEY2" } })).changes).toHaveLength(1);
        expect((await diffOf({ connection: conn }, { connection: { ...conn, agentSocketPath: "/run/user/1000/ssh-agent.sock" } })).changes).toEqual([]);
        // Defaults filled in by check on one side only are the same connection.
        const withDefault = { connection: { ...conn, dialErrorLimit: 10 } };
        expect((await diffOf({ connection: conn }, withDefault)).changes).toEqual([]);
        expect((await diffOf({ connection: conn }, { connection: conn })).changes).toEqual([]);
    });

    test("an unknown connection is left to the resource's own diff", async () => {
        expect((await diffOf({ connection: conn }, { connection: undefined }, ["connection"])).changes).toEqual([]);
    });
});

test("the mark never reaches the resource's update", async () => {
    const { h, calls } = fake();
    await h.update(ctx().c, { id: "i", olds: { connection: conn, [REFRESH_REFUSED]: "x", entries: {} }, news: { connection: conn } });
    expect(calls[0].olds).toEqual({ connection: conn, entries: {} });
});
