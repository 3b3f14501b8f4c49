// Declares the resources a test asks for in config `resources` (JSON: [{type, name, args}]), each
// with the connection from the secret config `connection`, through the generated SDK.
import * as pulumi from "@pulumi/pulumi";
import * as kh from "../../../sdk/nodejs/bin";

interface Spec {
    type: string;
    name: string;
    args: Record<string, unknown>;
    /** Overrides the stack's connection for this resource. */
    connection?: Record<string, unknown>;
    /** Adopt an existing resource with this id (pulumi import). */
    import?: string;
}

const config = new pulumi.Config();
const connection = config.requireSecretObject<Record<string, unknown>>("connection");
const specs = config.requireObject<Spec[]>("resources");

type Ctor = new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.Resource;
const ctors = kh as unknown as Record<string, Ctor>;
for (const s of specs) {
    const C = ctors[s.type];
    if (!C) throw new Error(`unknown resource type ${s.type}`);
    new C(s.name, { ...s.args, connection: s.connection ? pulumi.secret(s.connection) : connection }, s.import ? { import: s.import } : undefined);
}
