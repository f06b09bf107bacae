// ESLint (flat config), run by `npm test` (test/run.mjs) before the test layers, so CI enforces
// it. The rules are chosen to catch bugs, not to judge style: ESLint's and typescript-eslint's
// recommended sets (without type information, so the whole tree lints in seconds) and
// eslint-plugin-vue's essential set; one house rule on names (eslint-rules.mjs). Formatting is
// Prettier's job (.prettierrc.json).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'
import house from './eslint-rules.mjs'

export default tseslint.config(
  {
    // *.config.ts.*.mjs: the bundled config electron-vite writes beside its config while it builds
    // (gone again when eslint opens it: `npm test` lints beside the build).
    ignores: ['node_modules/**', 'out/**', 'dist/**', '**/*.d.ts', 'test/ui/screenshots/**', 'bench/results/**', '**/*.config.ts.*.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    // Existing `eslint-disable` comments name rules this config leaves off: keep them quiet.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      // tsc checks these (noUnusedLocals, undefined names) with the project's own settings.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': 'off',
      'no-unused-vars': 'off',
      // Comma sequences and `cond ? a() : b()` as statements are deliberate here.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Style, not bugs (or deliberate: ANSI escapes are stripped with \x1b in regexps).
      'preserve-caught-error': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      'no-useless-assignment': 'off',
      'no-control-regex': 'off',
      'prefer-const': 'off',
    },
  },
  {
    // House rule (eslint-rules.mjs): exported functions and public methods name their parameters.
    files: [
      'src-*/**/*.{ts,mts,js,mjs}',
      'provisioning/**/*.{ts,mts,js,mjs}',
      'bench/**/*.{ts,mts,js,mjs}',
      'test/helpers/**/*.{ts,mts,js,mjs}',
      'test/doubles/**/*.{ts,mts,js,mjs}',
    ],
    plugins: { house },
    rules: { 'house/param-names': 'error' },
  },
)
