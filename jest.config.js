// Two projects: fast unit tests of pure logic, and end-to-end tests that drive the real Pulumi CLI
// against real Debian VMs (run one at a time: they share the VM, which is restored between tests).
const tsJest = ["ts-jest", { tsconfig: "tsconfig.test.json" }];
module.exports = {
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      modulePathIgnorePatterns: ["<rootDir>/sdk/", "<rootDir>/dist/"],
    },
    {
      displayName: "e2e",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      modulePathIgnorePatterns: ["<rootDir>/sdk/", "<rootDir>/dist/"],
      globalSetup: "<rootDir>/test/e2e/global-setup.ts",
      globalTeardown: "<rootDir>/test/e2e/global-teardown.ts",
    },
  ],
};
