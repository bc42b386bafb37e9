import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/** Dependencies flow one way: bot → commands → runtime/contracts; agents → runtime/contracts. */
const layers = [
  { from: "runtime", forbid: ["contracts", "agents", "bot", "commands", "fleet"] },
  { from: "contracts", forbid: ["runtime", "agents", "bot", "commands", "fleet"] },
  { from: "commands", forbid: ["agents", "bot", "fleet"] },
  { from: "agents", forbid: ["bot", "commands", "fleet"] },
  { from: "bot", forbid: ["agents", "fleet"] },
];

export default defineConfig(
  { ignores: ["dist/**", "node_modules/**", ".soc/**", "bin/**", "helm/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["eslint.config.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      // SDK option classes and Node sockets are plain objects at run time; the rule misreads them.
      "@typescript-eslint/no-unsafe-class-instance-assignment": "off",
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
      "@typescript-eslint/no-unnecessary-condition": "off",
    },
  },
  ...layers.map(({ from, forbid }) => ({
    files: [`${from}/**/*.ts`],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: forbid.map((dir) => ({
            group: [`**/${dir}/**`, `../${dir}/*`],
            message: `${from}/ must not import ${dir}/`,
          })),
        },
      ],
    },
  })),
  {
    files: ["**/*.ts"],
    ignores: ["runtime/config.ts", "fleet/**", "test/**", "bench/**"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read configuration through runtime/config.ts" },
      ],
    },
  },
);
