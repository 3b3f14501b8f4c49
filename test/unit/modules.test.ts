import { BlocklistInputsSchema, blockedIn, renderBlocklist } from "../../provider/resources/modules/model";
import { diffBlocklist } from "../../provider/resources/modules/plan";

const inp = (modules: string[]) => BlocklistInputsSchema.parse({ connection: { host: "h" }, modules });

test("module names are checked, canonicalised with _, deduplicated and sorted", () => {
    expect(inp(["udf", "nf-tables", "cramfs", "udf"]).modules).toEqual(["cramfs", "nf_tables", "udf"]);
    const bad = BlocklistInputsSchema.safeParse({ connection: { host: "h" }, modules: ["ok", "../x", "a b", "$(id)"] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join("."))).toEqual(["modules.1", "modules.2", "modules.3"]);
    expect(BlocklistInputsSchema.safeParse({ connection: { host: "h" }, modules: [] }).error!.issues[0].message).toMatch(/at least one/);
});

test("the file blocks each module two ways, and reading it back finds exactly those", () => {
    const text = renderBlocklist(["cramfs", "udf"]);
    expect(text).toContain("\nblacklist cramfs\ninstall cramfs /bin/false\n");
    expect(blockedIn(text)).toEqual(["cramfs", "udf"]);
    expect(blockedIn("blacklist a\ninstall b /bin/true\nblacklist b\ninstall c /sbin/modprobe --ignore-install c\nblacklist c\n")).toEqual(["b"]);
});

test("diff: modules changed, file edited by hand, file or host replaced", () => {
    const want = inp(["cramfs", "udf"]);
    const same = { connection: { host: "h", port: 22 }, file: want.file, blocked: ["cramfs", "udf"], fileContent: renderBlocklist(["cramfs", "udf"]) };
    expect(diffBlocklist(same, want)).toEqual([]);
    expect(diffBlocklist({ ...same, blocked: ["cramfs"] }, want)).toEqual([{ path: "modules", kind: "update" }]);
    expect(diffBlocklist({ ...same, fileContent: same.fileContent + "# note\n" }, want)).toEqual([{ path: "fileContent", kind: "update" }]);
    expect(diffBlocklist({ ...same, file: "other.conf" }, want)[0]).toMatchObject({ path: "file", replace: true });
});

test("adopt: off unless asked, a boolean", () => {
    expect(inp(["udf"]).adopt).toBe(false);
    expect(BlocklistInputsSchema.parse({ connection: { host: "h" }, modules: ["udf"], adopt: true }).adopt).toBe(true);
    expect(BlocklistInputsSchema.safeParse({ connection: { host: "h" }, modules: ["udf"], adopt: "yes" }).error!.issues[0].path).toEqual(["adopt"]);
});
