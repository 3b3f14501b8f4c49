// One typed way to write a resource, after pulumi-go-provider's `infer`: a resource gives the zod
// schemas of its inputs and of its recorded state plus typed observe/plan/apply functions; the
// protocol glue every resource needs is derived here once: check while values are unknown, inputs
// picked from state, the diff while values are unknown, refreshBeforeUpdate, host-prefixed errors,
// state parsed (never cast), secret paths and surviving rotated credentials.
import { z } from "zod/v4";
import { Connection, ConnectionSchema, endpoint } from "../ssh/connection";
import { HostError } from "../ssh/pool";
import {
    CheckFailure,
    containsUnknown,
    Ctx,
    PropertyChange,
    ProviderConfig,
    Props,
    ResourceHandler,
    zodFailures,
} from "../protocol/contract";
import { CONFIG_KEY } from "./provider-config";
import { cachedRead, openReadCache, ReadCache, readKey } from "./read-cache";
import { connectionSecretPaths, withConnectionRotation } from "./rotation";

/** What every resource's inputs hold once checked. */
export interface BaseInputs {
    connection: Connection;
    /** Let `pulumi preview` read the host to show drift (off: previews never connect); absent: it reads nothing. */
    previewReadsHost?: boolean;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

/**
 * A resource. `I` are its checked inputs, `S` what is recorded in state (the inputs echoed and the
 * outputs), `Out` what its operations return to be recorded (the state schema must accept it).
 */
export interface ResourceDefinition<Obj extends AnyObject, In extends z.ZodType<BaseInputs>, St extends z.ZodType> {
    token: string;
    /** The inputs as a plain object: validated property by property while some values are unknown. */
    inputObject: Obj;
    /** The inputs with their cross-property rules and normalisation. */
    inputs: In;
    /** What an earlier operation recorded; parsed, so a resource never casts its state. */
    state: St;
    /** Inputs that identify the resource on its host: changing one replaces it (deleting first). */
    replaceOnChanges: ReadonlyArray<keyof z.input<Obj> & string>;
    id(inputs: z.output<In>): string;
    /** A new resource's inputs checked against its host at preview (only with previewReadsHost). */
    checkHost?(inputs: z.output<In>): Promise<CheckFailure[]>;
    /** Pure: the property changes from what is recorded (refreshed) to what is desired. */
    diff(
        ctx: Ctx,
        req: { id: string; olds: z.output<St>; news: z.output<In> },
    ): PropertyChange[] | Promise<PropertyChange[]>;
    create(ctx: Ctx, inputs: z.output<In>): Promise<z.input<St>>;
    read(ctx: Ctx, req: { id: string; inputs: z.output<In>; olds: z.output<St> }): Promise<z.input<St>>;
    update(ctx: Ctx, req: { id: string; olds: z.output<St>; news: z.output<In> }): Promise<z.input<St>>;
    /** `inputs` is undefined when the recorded inputs are no longer valid ones. */
    delete(ctx: Ctx, req: { id: string; olds: z.output<St>; inputs: z.output<In> | undefined }): Promise<void>;
    /** Adopting what exists on a host (`pulumi import`, the `import` option): see ImportSpec; absent: none. */
    import?: ImportSpec<z.output<In>, z.input<St>>;
    /** false: `read` returns what is recorded without a host, so the engine need not refresh before an update. */
    readsHost?: false;
}

/**
 * Import. The engine sends only the id, so the id names the host (`[user@]host:port:`, then what the
 * resource needs to find itself there, matched by `rest`) and the host is read with the provider's
 * connection, its host, port and user taken from the id. Undefined: there is nothing to import.
 */
export interface ImportSpec<I, Out> {
    /** As the documentation and the error for an id that does not parse show it. */
    format: string;
    rest: RegExp;
    read(ctx: Ctx, connection: Connection, rest: RegExpExecArray): Promise<{ inputs: I; outputs: Out } | undefined>;
}

const NO_CONNECTION =
    "no connection to the host: set `connection` on the resource, or the provider's default connection " +
    `(\`${CONFIG_KEY}\` in the stack config, or \`connection\` of an explicit provider)`;

const ID_HOST = /^(?:([a-z_][a-z0-9_.-]{0,31}\$?)@)?(\[[0-9A-Fa-f:.%a-z]+\]|[A-Za-z0-9._-]+):(\d{1,5}):(.+)$/;

/** The resource served to the protocol layer, with every derived behaviour. */
export function defineResource<Obj extends AnyObject, In extends z.ZodType<BaseInputs>, St extends z.ZodType>(
    def: ResourceDefinition<Obj, In, St>,
): ResourceHandler {
    const inputKeys = Object.keys(def.inputObject.shape);
    const replaceOn = new Set<string>(def.replaceOnChanges);
    const pickInputs = (p: Props): Props =>
        Object.fromEntries(
            Object.entries(p).filter(([k, v]) => inputKeys.includes(k) && v !== undefined && v !== null),
        );
    const parseState = (id: string, outputs: Props): z.output<St> => {
        const r = def.state.safeParse(outputs);
        if (!r.success)
            throw new Error(`${id}: the recorded state is not valid: ${zodFailures(r.error.issues)[0]?.reason}`);
        return r.data;
    };
    const recordedInputs = (id: string, source: Props): z.output<In> => {
        const r = def.inputs.safeParse(pickInputs(source));
        if (!r.success) {
            throw new Error(
                `cannot refresh ${id}: the recorded inputs are not valid (${r.error.issues[0]?.message}); ` +
                    "import needs the resource declared in the program",
            );
        }
        return r.data;
    };

    const handler: ResourceHandler = {
        token: def.token,
        secretPaths: connectionSecretPaths,
        // The engine refreshes before an update, so `pulumi preview` shows drift without --refresh;
        // previewReadsHost: false keeps previews offline.
        refreshBeforeUpdate: (outputs) => def.readsHost !== false && outputs.previewReadsHost !== false,

        async check(given, unknown, olds, provider = {}) {
            let news = given;
            let unknownProps = unknown;
            // No connection of its own: the provider's, or a failure that names both places.
            if (news.connection === undefined || news.connection === null) {
                if (provider.connection === undefined)
                    return {
                        inputs: news,
                        failures: [{ property: "connection", reason: `connection: ${NO_CONNECTION}` }],
                    };
                news = { ...news, connection: provider.connection };
                if (containsUnknown(provider.connection)) unknownProps = new Set([...unknownProps, "connection"]);
            }
            // Unknown values (preview) are checked once they are known; the known ones are checked now.
            const known = Object.fromEntries(Object.entries(news).filter(([k]) => !unknownProps.has(k)));
            const r = unknownProps.size ? def.inputObject.partial().safeParse(known) : def.inputs.safeParse(known);
            if (!r.success) return { inputs: news, failures: zodFailures(r.error.issues) };
            const inputs = { ...(r.data as Props), ...Object.fromEntries([...unknownProps].map((p) => [p, news[p]])) };
            // A new resource: the engine calls no Diff before creating it, so its host is read here.
            if (!unknownProps.size && Object.keys(olds).length === 0 && def.checkHost) {
                const inp = r.data as z.output<In>;
                if (inp.previewReadsHost) return { inputs, failures: await def.checkHost(inp) };
            }
            return { inputs, failures: [] };
        },

        async diff(ctx, { id, olds, news, unknownProps }) {
            if (unknownProps.size) {
                // Still unknown: show what may change, never touch a host.
                const changes = [...unknownProps].map((p) => ({
                    path: p,
                    kind: "update" as const,
                    replace: replaceOn.has(p),
                }));
                return { changes, deleteBeforeReplace: true };
            }
            const want = def.inputs.parse(news);
            const recorded = parseState(id, olds);
            const changes = await atHost(want.connection, async () =>
                def.diff(ctx, { id, olds: recorded, news: want }),
            );
            return { changes, deleteBeforeReplace: true };
        },

        async create(ctx, props) {
            const inputs = def.inputs.parse(props);
            return {
                id: def.id(inputs),
                outputs: (await atHost(inputs.connection, () => def.create(ctx, inputs))) as Props,
            };
        },

        async read(ctx, { id, outputs, inputs, provider = {} }) {
            if (!Object.keys(inputs).length && !Object.keys(outputs).length) {
                const spec = def.import;
                if (!spec) throw new Error(`cannot import ${JSON.stringify(id)}: a ${tokenName(def.token)} cannot be imported`);
                const { connection, rest } = importTarget(def.token, spec, id, provider);
                const found = await atHost(connection, () => spec.read(ctx, connection, rest));
                // Recorded under the id the resource gives itself (the user in an import id is no part of it).
                return (
                    found && {
                        id: def.id(found.inputs),
                        outputs: found.outputs as Props,
                        inputs: pickInputs(found.inputs as Props),
                    }
                );
            }
            const source = Object.keys(inputs).length ? inputs : outputs;
            const inp = recordedInputs(id, source);
            const olds = parseState(id, outputs);
            const picked = pickInputs(source);
            // The update of a plain `up` gets what its preview read (read-cache.ts).
            const r = await cachedRead(
                def.readsHost === false ? undefined : reads(),
                readKey(def.token, id, picked, outputs),
                ctx,
                { outputs: inp.connection, inputs: picked.connection },
                async (c) => ({
                    outputs: (await atHost(inp.connection, () => def.read(c, { id, inputs: inp, olds }))) as Props,
                    inputs: picked,
                }),
            );
            return { id, ...r };
        },

        async update(ctx, { id, olds, news }) {
            const inputs = def.inputs.parse(news);
            const recorded = parseState(id, olds);
            return (await atHost(inputs.connection, () =>
                def.update(ctx, { id, olds: recorded, news: inputs }),
            )) as Props;
        },

        async delete(ctx, { id, outputs }) {
            const olds = parseState(id, outputs);
            const r = def.inputs.safeParse(pickInputs(outputs));
            const run = () => def.delete(ctx, { id, olds, inputs: r.success ? r.data : undefined });
            await (r.success ? atHost(r.data.connection, run) : run());
        },
    };
    return withConnectionRotation(handler);
}

/** The host an import id names, and how to reach it; errors before any host is contacted. */
function importTarget(token: string, spec: ImportSpec<unknown, unknown>, id: string, provider: ProviderConfig) {
    const m = ID_HOST.exec(id);
    const rest = m && spec.rest.exec(m[4]);
    const name = tokenName(token);
    if (!m || !rest) throw new Error(`cannot import ${JSON.stringify(id)}: the id of a ${name} is ${spec.format}`);
    if (provider.connection === undefined || containsUnknown(provider.connection)) {
        throw new Error(
            `cannot import ${id}: importing reads the host with the provider's connection, and it has none (${NO_CONNECTION})`,
        );
    }
    const given = typeof provider.connection === "object" ? provider.connection : {};
    const r = ConnectionSchema.safeParse({
        ...given,
        host: m[2].replace(/^\[|\]$/g, ""),
        port: Number(m[3]),
        ...(m[1] ? { user: m[1] } : {}),
    });
    if (!r.success) throw new Error(`cannot import ${id}: ${zodFailures(r.error.issues)[0]?.reason}`);
    return { connection: r.data, rest };
}

let readCache: ReadCache | undefined | null = null;
/** This process's read cache, opened at the first read. */
const reads = () => (readCache === null ? (readCache = openReadCache()) : readCache);

const tokenName = (token: string) => token.split(":").pop();

/** Every message about a host names it; errors from the SSH layer already do, in their own words. */
export async function atHost<T>(c: Pick<Connection, "host" | "port">, fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (err) {
        const where = endpoint(c);
        if (err instanceof Error && !(err instanceof HostError) && !err.message.startsWith(where))
            err.message = `${where}: ${err.message}`;
        throw err;
    }
}
