import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { decode, encode, SECRET_SIG, SPECIAL_SIG, UNKNOWN } from "../../provider/protocol/values";
import { generate } from "../../schema/gen-nodejs";
import { readFileSync } from "fs";
import { join } from "path";

const secret = (v: unknown) => ({ [SPECIAL_SIG]: SECRET_SIG, value: v });

test("decode unwraps secrets and notes which properties held secrets or unknowns", () => {
    const s = Struct.fromJavaScript({
        connection: { host: "h", password: secret("pw") },
        file: "a.conf",
        entries: UNKNOWN,
    } as never);
    const d = decode(s);
    expect(d.value).toEqual({ connection: { host: "h", password: "pw" }, file: "a.conf", entries: UNKNOWN });
    expect([...d.secretProps]).toEqual(["connection"]);
    expect([...d.unknownProps]).toEqual(["entries"]);
});

test("encode marks credential paths and secret properties as secrets", () => {
    const out = encode(
        { connection: { host: "h", privateKey: "k" }, entries: { a: "1" }, file: "f" },
        ["entries"],
        ["connection.privateKey", "connection.password"],
    ).toJavaScript() as { connection: Record<string, unknown>; entries: unknown; file: unknown };
    expect(out.connection.privateKey).toEqual(secret("k"));
    expect(out.connection.password).toBeUndefined();
    expect(out.entries).toEqual(secret({ a: "1" }));
    expect(out.file).toBe("f");
});

test("the committed SDK is what the generator makes from schema.json", () => {
    const root = join(__dirname, "../..");
    const schema = JSON.parse(readFileSync(join(root, "schema.json"), "utf8"));
    expect(readFileSync(join(root, "sdk/nodejs/index.ts"), "utf8")).toBe(generate(schema));
    // Every resource and property is documented.
    for (const [token, r] of Object.entries<any>(schema.resources)) {
        expect(r.description).toBeTruthy();
        for (const [p, v] of Object.entries<any>({ ...r.inputProperties, ...r.properties }))
            expect([token, p, !!v.description]).toEqual([token, p, true]);
    }
});
