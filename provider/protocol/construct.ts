// Construct: serves component resources from the provider, so they work from every language the
// schema generates SDKs for. The component's children are registered with the engine's resource
// monitor through @pulumi/pulumi's runtime, configured per request as the SDK's own provider server
// does (its Server class is not exported, so the few runtime calls it makes are made here).
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";

/* eslint-disable @typescript-eslint/no-var-requires */
const settings = require("@pulumi/pulumi/runtime/settings");
const runtimeConfig = require("@pulumi/pulumi/runtime/config");
const rpc = require("@pulumi/pulumi/runtime/rpc");
const state = require("@pulumi/pulumi/runtime/state");
const { deserializeInputs } = require("@pulumi/pulumi/provider/server");
/* eslint-enable @typescript-eslint/no-var-requires */

export interface ConstructResult {
    urn: pulumi.Input<string>;
    state: Record<string, pulumi.Input<unknown>>;
}

export type ComponentConstructor = (name: string, inputs: Record<string, unknown>, opts: pulumi.ComponentResourceOptions) => Promise<ConstructResult>;

export function makeConstruct(engineAddress: string | undefined, components: Record<string, ComponentConstructor>) {
    return async (_req: providerPb.ConstructRequest, call: grpc.ServerUnaryCall<providerPb.ConstructRequest, providerPb.ConstructResponse>): Promise<providerPb.ConstructResponse> =>
        state.withLocalStorage(async () => {
            const req = call.request;
            const ctor = components[req.getType()];
            if (!ctor) throw new Error(`unknown component type ${req.getType()}`);
            if (!engineAddress) throw new Error("construct needs the engine address the provider was started with");
            settings.resetOptions(req.getProject(), req.getStack(), req.getParallel(), engineAddress, req.getMonitorendpoint(), req.getDryrun(), req.getOrganization());
            await settings.awaitFeatureSupport();
            const cfg: Record<string, string> = {};
            for (const [k, v] of req.getConfigMap().entries()) cfg[k] = v;
            runtimeConfig.setAllConfig(cfg, req.getConfigsecretkeysList());

            const inputs = await deserializeInputs(req.getInputs(), req.getInputdependenciesMap());
            const opts: pulumi.ComponentResourceOptions = {
                parent: req.getParent() ? new pulumi.DependencyResource(req.getParent()) : undefined,
                dependsOn: req.getDependenciesList().map((u) => new pulumi.DependencyResource(u)),
                protect: req.getProtect(),
                aliases: req.getAliasesList().filter((a) => a.hasUrn()).map((a) => a.getUrn()),
            };
            const result = await ctor(req.getName(), inputs, opts);
            const res = new providerPb.ConstructResponse();
            res.setUrn(await (pulumi.output(result.urn) as unknown as { promise(): Promise<string> }).promise());
            const [serialized, deps] = await rpc.serializeResourceProperties(`construct(${req.getType()}, ${req.getName()})`, result.state);
            const depMap = res.getStatedependenciesMap();
            for (const [key, resources] of deps as Map<string, Set<pulumi.Resource>>) {
                const d = new providerPb.ConstructResponse.PropertyDependencies();
                d.setUrnsList(await Promise.all([...resources].map((r) => (r.urn as unknown as { promise(): Promise<string> }).promise())));
                depMap.set(key, d);
            }
            res.setState(Struct.fromJavaScript(serialized));
            await settings.waitForRPCs();
            return res;
        });
}
