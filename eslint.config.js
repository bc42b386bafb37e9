import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Dependencies flow one way: bot → commands → runtime/contracts; agents → runtime/contracts. */
const layers = [
  { from: "runtime", forbid: ["contracts", "agents", "bot", "commands", "fleet"] },
  { from: "contracts", forbid: ["runtime", "agents", "bot", "commands", "fleet"] },
  { from: "commands", forbid: ["agents", "bot", "fleet"] },
  { from: "agents", forbid: ["bot", "commands", "fleet"] },
  { from: "bot", forbid: ["agents", "fleet"] },
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".soc/**", "bin/**", "helm/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-unnecessary-condition": "off",
    },
  },
  ...layers.map(({ from, forbid }) => ({
    files: [`${from}/**/*.ts`],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: forbid.map((dir) => ({ group: [`**/${dir}/**`, `../${dir}/*`], message: `${from}/ must not import ${dir}/` })) },
      ],
    },
  })),
  {
    files: ["**/*.ts"],
    ignores: ["runtime/config.ts", "fleet/**", "test/**", "bench/**"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration through runtime/config.ts" }],
    },
  },
);
