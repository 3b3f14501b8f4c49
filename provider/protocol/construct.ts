// Construct: serves component resources from the provider, so they work from every language the
// schema generates SDKs for. The component's children are registered with the engine's resource
// monitor through @pulumi/pulumi's runtime, configured per request as the SDK's own provider server
// does (its Server class is not exported, so the few runtime calls it makes are made here).
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";

/**
 * What the SDK's own Construct server uses and does not export in its typings. @pulumi/pulumi is
 * pinned to one version in package.json, and test/unit/construct.test.ts fails if any of these is gone.
 */
export interface SdkInternals {
    awaitFeatureSupport(): Promise<void>;
    waitForRPCs(): Promise<void>;
    withLocalStorage<T>(fn: () => Promise<T>): Promise<T>;
    deserializeInputs(inputs: Struct | undefined, deps: unknown): Promise<Record<string, unknown>>;
}

export function sdkInternals(): SdkInternals {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const settings = require("@pulumi/pulumi/runtime/settings");
    const state = require("@pulumi/pulumi/runtime/state");
    const server = require("@pulumi/pulumi/provider/server");
    /* eslint-enable @typescript-eslint/no-require-imports */
    return {
        awaitFeatureSupport: settings.awaitFeatureSupport,
        waitForRPCs: settings.waitForRPCs,
        withLocalStorage: state.withLocalStorage,
        deserializeInputs: server.deserializeInputs,
    };
}

export interface ConstructResult {
    urn: pulumi.Input<string>;
    state: Record<string, pulumi.Input<unknown>>;
}

export type ComponentConstructor = (
    name: string,
    inputs: Record<string, unknown>,
    opts: pulumi.ComponentResourceOptions,
) => Promise<ConstructResult>;

export function makeConstruct(engineAddress: string | undefined, components: Record<string, ComponentConstructor>) {
    const sdk = sdkInternals();
    return async (
        _req: providerPb.ConstructRequest,
        call: grpc.ServerUnaryCall<providerPb.ConstructRequest, providerPb.ConstructResponse>,
    ): Promise<providerPb.ConstructResponse> =>
        sdk.withLocalStorage(async () => {
            const req = call.request;
            const ctor = components[req.getType()];
            if (!ctor) throw new Error(`unknown component type ${req.getType()}`);
            if (!engineAddress) throw new Error("construct needs the engine address the provider was started with");
            pulumi.runtime.resetOptions(
                req.getProject(),
                req.getStack(),
                req.getParallel(),
                engineAddress,
                req.getMonitorendpoint(),
                req.getDryrun(),
                req.getOrganization(),
            );
            await sdk.awaitFeatureSupport();
            const cfg: Record<string, string> = {};
            for (const [k, v] of req.getConfigMap().entries()) cfg[k] = v;
            pulumi.runtime.setAllConfig(cfg, req.getConfigsecretkeysList());

            const inputs = await sdk.deserializeInputs(req.getInputs(), req.getInputdependenciesMap());
            const opts: pulumi.ComponentResourceOptions = {
                parent: req.getParent() ? new pulumi.DependencyResource(req.getParent()) : undefined,
                dependsOn: req.getDependenciesList().map((u) => new pulumi.DependencyResource(u)),
                protect: req.getProtect(),
                aliases: req
                    .getAliasesList()
                    .filter((a) => a.hasUrn())
                    .map((a) => a.getUrn()),
            };
            const result = await ctor(req.getName(), inputs, opts);
            const res = new providerPb.ConstructResponse();
            res.setUrn(await (pulumi.output(result.urn) as unknown as { promise(): Promise<string> }).promise());
            const [serialized, deps] = await pulumi.runtime.serializeResourceProperties(
                `construct(${req.getType()}, ${req.getName()})`,
                result.state,
            );
            const depMap = res.getStatedependenciesMap();
            for (const [key, resources] of deps) {
                const d = new providerPb.ConstructResponse.PropertyDependencies();
                d.setUrnsList(
                    await Promise.all(
                        [...resources].map((r) => (r.urn as unknown as { promise(): Promise<string> }).promise()),
                    ),
                );
                depMap.set(key, d);
            }
            res.setState(Struct.fromJavaScript(serialized));
            await sdk.waitForRPCs();
            return res;
        });
}
