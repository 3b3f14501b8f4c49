// ESLint with typescript-eslint's recommended rules over the provider, tests, schema tools and
// examples; generated SDKs and build output are not ours to lint.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["dist/**", "sdk/**", "node_modules/**", "bench/out/**", "**/*.js", "**/*.mjs"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
            "no-control-regex": "off", // control characters are what the hostile-input checks look for
            "max-len": ["error", { code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreComments: false }],
        },
    },
    {
        // Tests load modules inside jest.isolateModules and the bench loads the built provider: require is the point.
        files: ["test/**/*.ts", "bench/**/*.ts"],
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
