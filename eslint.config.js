// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "bench/results/**",
      "**/*.onnx",
      ".wrangler/**",
      "dist/**",
      ".data/**",
      "status-page/public/build/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    // Three programs: Node-side code (tsconfig.json), workerd-side code (tsconfig.worker.json, Workers
    // types) and the status page's browser code (status-page/tsconfig.json, DOM types).
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.json", "./tsconfig.worker.json", "./status-page/tsconfig.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Background work must be awaited or handed to waitUntil/alarms (STYLE.md: no floating promises).
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
