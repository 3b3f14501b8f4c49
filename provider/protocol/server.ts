// The Pulumi ResourceProvider gRPC service, served directly on @pulumi/pulumi's generated proto
// modules (provider.main() does not forward detailed diffs). This file only translates the wire
// protocol; all behaviour lives in the resource handlers.
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import * as pluginPb from "@pulumi/pulumi/proto/plugin_pb";
import { EngineLogger } from "./engine";
import { decode, encode } from "./values";
import { Ctx, PropertyChange, ProviderConfig, ResourceHandler } from "./contract";
import { checkProviderConfig, diffProviderConfig, providerConfig } from "../framework/provider-config";
import { connectionSecretPaths } from "../framework/rotation";
import { FunctionHandler } from "../functions/types";
import { sanitize } from "../ssh/redact";
import { pool } from "../ssh/pool";

export interface ProviderDefinition {
    name: string;
    version: string;
    schema: string;
    resources: ResourceHandler[];
    functions: FunctionHandler[];
    construct?: (
        req: providerPb.ConstructRequest,
        call: grpc.ServerUnaryCall<providerPb.ConstructRequest, providerPb.ConstructResponse>,
    ) => Promise<providerPb.ConstructResponse>;
}

class UserError extends Error {
    constructor(
        readonly code: grpc.status,
        message: string,
    ) {
        super(message);
    }
}

function unary<Req, Res>(
    fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
        fn(call.request, call).then(
            (res) => callback(null, res),
            (err: Error) => {
                const code = err instanceof UserError ? err.code : grpc.status.UNKNOWN;
                const message = sanitize(err.message); // the one exit of errors: no secret, no control character
                callback({ code, details: message, message } as grpc.ServiceError, null);
            },
        );
    };
}

function typeOf(urn: string): string {
    // urn:pulumi:stack::project::parent$type::name -> type
    const parts = urn.split("::");
    const types = parts[2] ?? "";
    return types.split("$").pop() ?? types;
}

const KIND: Record<string, providerPb.PropertyDiff.Kind> = {
    add: providerPb.PropertyDiff.Kind.ADD,
    delete: providerPb.PropertyDiff.Kind.DELETE,
    update: providerPb.PropertyDiff.Kind.UPDATE,
    "add+replace": providerPb.PropertyDiff.Kind.ADD_REPLACE,
    "delete+replace": providerPb.PropertyDiff.Kind.DELETE_REPLACE,
    "update+replace": providerPb.PropertyDiff.Kind.UPDATE_REPLACE,
};

export function makeService(def: ProviderDefinition, engine: EngineLogger): providerGrpc.IResourceProviderServer {
    const handlers = new Map(def.resources.map((r) => [r.token, r]));
    const functions = new Map(def.functions.map((f) => [f.token, f]));
    const handlerFor = (urn: string, type?: string): ResourceHandler => {
        const t = type || typeOf(urn);
        const h = handlers.get(t);
        if (!h) throw new UserError(grpc.status.INVALID_ARGUMENT, `unknown resource type ${t}`);
        return h;
    };
    const ctx = (urn: string): Ctx => ({
        warn: (m) => engine.log("warning", m, urn),
        info: (m) => engine.log("info", m, urn),
    });
    // Set by Configure, which the engine calls before any resource operation.
    let config: ProviderConfig = {};
    const diffResponse = (changes: PropertyChange[], deleteBeforeReplace: boolean) => {
        const res = new providerPb.DiffResponse();
        const top = (c: PropertyChange) => c.path.split(/[.[]/)[0];
        res.setChanges(
            changes.length
                ? providerPb.DiffResponse.DiffChanges.DIFF_SOME
                : providerPb.DiffResponse.DiffChanges.DIFF_NONE,
        );
        res.setDiffsList([...new Set(changes.map(top))]);
        res.setReplacesList([...new Set(changes.filter((c) => c.replace).map(top))]);
        res.setDeletebeforereplace(deleteBeforeReplace);
        res.setHasdetaileddiff(true);
        const detailed = res.getDetaileddiffMap();
        for (const c of changes) {
            detailed.set(
                c.path,
                new providerPb.PropertyDiff()
                    .setKind(KIND[c.replace ? `${c.kind}+replace` : c.kind])
                    .setInputdiff(false),
            );
        }
        return res;
    };
    const out = (h: ResourceHandler, props: Record<string, unknown>, secretProps: Iterable<string>) =>
        encode(props, secretProps, h.secretPaths);
    const unimplemented = (what: string) =>
        unary(async () => {
            throw new UserError(grpc.status.UNIMPLEMENTED, `${what} is not implemented by ${def.name}`);
        });

    return {
        handshake: unimplemented("Handshake") as never,
        parameterize: unimplemented("Parameterize") as never,
        list: ((call: grpc.ServerWritableStream<unknown, unknown>) => {
            call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "List is not implemented" });
        }) as never,
        call: unimplemented("Call") as never,
        getMapping: unary(async () => new providerPb.GetMappingResponse()),
        getMappings: unary(async () => new providerPb.GetMappingsResponse()),
        attach: unary(async () => new Empty()),
        cancel: unary(async () => (pool.cancel(), new Empty())), // running commands finish; no new one starts
        getPluginInfo: unary(async () => new pluginPb.PluginInfo().setVersion(def.version)),
        getSchema: unary(async () => new providerPb.GetSchemaResponse().setSchema(def.schema)),
        checkConfig: unary(async (req: providerPb.CheckRequest) => {
            const news = decode(req.getNews());
            const { inputs, failures } = checkProviderConfig(news.value);
            const res = new providerPb.CheckResponse().setInputs(
                encode(inputs, news.secretProps, connectionSecretPaths),
            );
            res.setFailuresList(
                failures.map((f) => new providerPb.CheckFailure().setProperty(f.property).setReason(f.reason)),
            );
            return res;
        }),
        diffConfig: unary(async (req: providerPb.DiffRequest) =>
            diffResponse(diffProviderConfig(decode(req.getOlds()).value, decode(req.getNews()).value), false),
        ),
        configure: unary(async (req: providerPb.ConfigureRequest) => {
            // Engines that send no args send the same config as `kernelhardening:config:connection` text.
            const args = req.hasArgs() ? decode(req.getArgs()).value : {};
            const legacy = req.getVariablesMap().get(`${def.name}:config:connection`);
            config = providerConfig(args.connection === undefined && legacy ? { connection: legacy } : args);
            return new providerPb.ConfigureResponse()
                .setAcceptsecrets(true)
                .setSupportspreview(false)
                .setAcceptresources(false)
                .setAcceptoutputs(false);
        }),

        check: unary(async (req: providerPb.CheckRequest) => {
            const h = handlerFor(req.getUrn(), req.getType());
            const news = decode(req.getNews());
            const olds = decode(req.getOlds());
            const { inputs, failures } = await h.check(news.value, news.unknownProps, olds.value, config);
            const res = new providerPb.CheckResponse().setInputs(out(h, inputs, news.secretProps));
            res.setFailuresList(
                failures.map((f) => new providerPb.CheckFailure().setProperty(f.property).setReason(f.reason)),
            );
            return res;
        }),

        diff: unary(async (req: providerPb.DiffRequest) => {
            const h = handlerFor(req.getUrn(), req.getType());
            const olds = decode(req.getOlds());
            const news = decode(req.getNews());
            const result = await h.diff(ctx(req.getUrn()), {
                id: req.getId(),
                olds: olds.value,
                news: news.value,
                unknownProps: news.unknownProps,
            });
            const ignored = new Set(req.getIgnorechangesList());
            const changes = result.changes.filter((c) => !ignored.has(c.path) && !ignored.has(c.path.split(/[.[]/)[0]));
            return diffResponse(changes, !!result.deleteBeforeReplace);
        }),

        create: unary(async (req: providerPb.CreateRequest) => {
            const h = handlerFor(req.getUrn(), req.getType());
            const inputs = decode(req.getProperties());
            const { id, outputs } = await h.create(ctx(req.getUrn()), inputs.value);
            return new providerPb.CreateResponse()
                .setId(id)
                .setProperties(out(h, outputs, inputs.secretProps))
                .setRefreshBeforeUpdate(!!h.refreshBeforeUpdate?.(outputs));
        }),

        read: unary(async (req: providerPb.ReadRequest) => {
            const h = handlerFor(req.getUrn(), req.getType());
            const outputs = decode(req.getProperties());
            const inputs = decode(req.getInputs());
            const secretProps = new Set([...outputs.secretProps, ...inputs.secretProps]);
            const r = await h.read(ctx(req.getUrn()), {
                id: req.getId(),
                outputs: outputs.value,
                inputs: inputs.value,
                provider: config,
            });
            if (!r) return new providerPb.ReadResponse(); // gone: empty id
            return new providerPb.ReadResponse()
                .setId(r.id)
                .setProperties(out(h, r.outputs, secretProps))
                .setInputs(out(h, r.inputs, secretProps))
                .setRefreshBeforeUpdate(!!h.refreshBeforeUpdate?.(r.outputs));
        }),

        update: unary(async (req: providerPb.UpdateRequest) => {
            const h = handlerFor(req.getUrn(), req.getType());
            const olds = decode(req.getOlds());
            const news = decode(req.getNews());
            const outputs = await h.update(ctx(req.getUrn()), { id: req.getId(), olds: olds.value, news: news.value });
            return new providerPb.UpdateResponse()
                .setProperties(out(h, outputs, news.secretProps))
                .setRefreshBeforeUpdate(!!h.refreshBeforeUpdate?.(outputs));
        }),

        delete: unary(async (req: providerPb.DeleteRequest) => {
            const h = handlerFor(req.getUrn(), req.getType());
            const outputs = decode(req.getProperties());
            await h.delete(ctx(req.getUrn()), { id: req.getId(), outputs: outputs.value });
            return new Empty();
        }),

        invoke: unary(async (req: providerPb.InvokeRequest) => {
            const f = functions.get(req.getTok());
            if (!f) throw new UserError(grpc.status.INVALID_ARGUMENT, `unknown function ${req.getTok()}`);
            const args = decode(req.getArgs());
            const checked = f.check(args.value);
            const res = new providerPb.InvokeResponse();
            if (checked.failures.length) {
                res.setFailuresList(
                    checked.failures.map((x) =>
                        new providerPb.CheckFailure().setProperty(x.property).setReason(x.reason),
                    ),
                );
                return res;
            }
            const ret = await f.invoke(checked.args);
            return res.setReturn(Struct.fromJavaScript(JSON.parse(JSON.stringify(ret))));
        }),

        construct: (def.construct ? unary(def.construct) : unimplemented("Construct")) as never,
    };
}
