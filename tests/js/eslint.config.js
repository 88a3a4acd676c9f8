// ESLint (flat config) for the browser JavaScript: the chat page's modules
// (messenger-warp/assets) and the example's classic scripts. Run through
// tests/js/check.sh from the repository root.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "all" }],
    },
  },
  {
    files: ["messenger-warp/assets/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: globals.browser,
    },
  },
  {
    // Loaded with a plain <script>, not as modules.
    files: ["examples/community-messenger/static/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: globals.browser,
    },
  },
];
