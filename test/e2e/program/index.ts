// Declares the resources a test asks for in config `resources` (JSON: [{type, name, args}]), each
// with the connection from the secret config `connection`, through the generated SDK.
import * as pulumi from "@pulumi/pulumi";
import * as kh from "../../../sdk/nodejs";

interface Spec {
    type: string;
    name: string;
    args: Record<string, unknown>;
    /** Overrides the stack's connection for this resource; null: none, the provider's is used. */
    connection?: Record<string, unknown> | null;
    /** Adopt an existing resource with this id (pulumi import). */
    import?: string;
    /** The explicit provider (config `providers`) this resource uses instead of the default one. */
    provider?: string;
}

interface ProviderSpec {
    name: string;
    connection: Record<string, unknown>;
}

const config = new pulumi.Config();
const connection = config.getSecretObject<Record<string, unknown>>("connection");
const specs = config.requireObject<Spec[]>("resources");
const providerSpecs = config.getObject<ProviderSpec[]>("providers") ?? [];

// The generated SDK's Provider class where there is one; otherwise the same resource by hand (the
// SDKs send an object-typed provider input as JSON text).
type ConnectionArg = pulumi.Input<Record<string, unknown>>;
type ProviderCtor = new (name: string, args: { connection: ConnectionArg }) => pulumi.ProviderResource;
class HandProvider extends pulumi.ProviderResource {
    constructor(name: string, args: { connection: ConnectionArg }) {
        super("kernelhardening", name, { connection: pulumi.output(args.connection).apply((c) => JSON.stringify(c)) });
    }
}
const Provider = ((kh as unknown as { Provider?: ProviderCtor }).Provider ?? HandProvider) as ProviderCtor;
const providers = new Map(providerSpecs.map((p) => [p.name, new Provider(p.name, { connection: pulumi.secret(p.connection) })]));

type Ctor = new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.Resource;
const ctors = kh as unknown as Record<string, Ctor>;
for (const s of specs) {
    const C = ctors[s.type];
    if (!C) throw new Error(`unknown resource type ${s.type}`);
    const conn = s.connection === null ? undefined : s.connection ? pulumi.secret(s.connection) : connection;
    const provider = s.provider === undefined ? undefined : providers.get(s.provider);
    if (s.provider !== undefined && !provider) throw new Error(`unknown provider ${s.provider}`);
    const opts: pulumi.CustomResourceOptions = { ...(s.import ? { import: s.import } : {}), ...(provider ? { provider } : {}) };
    new C(s.name, { ...s.args, ...(conn === undefined ? {} : { connection: conn }) }, opts);
}
