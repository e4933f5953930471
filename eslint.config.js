// Lint and format. Rules that catch bugs: a promise nobody awaits or handles, a promise where a
// callback must not return one, awaiting what is not a promise, throwing or rejecting with
// something that is not an Error, unused variables and imports, and `any` in domain code.
// Type-aware rules read each file's tsconfig: the root one for src/, web/tsconfig.json for the
// console, test/tsconfig.json for the cross-layer tests. Format: the layout the tree is written
// in (indentation, quotes, semicolons, trailing commas, spacing), by ESLint's stylistic rules;
// `npm run lint -- --fix` applies it.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/', 'bench/', 'scripts/', 'bin/', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts', 'web/vite.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      // `_name` marks a value left unused on purpose (a field split off, a parameter a signature needs).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Style, not bugs.
      'prefer-const': 'off',
    },
  },
  {
    // Format: the layout the tree is written in, checked (and fixed by `npm run lint -- --fix`).
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/indent': ['error', 2, { SwitchCase: 1, ignoredNodes: ['TemplateLiteral *', 'JSXElement *', 'JSXElement', 'ConditionalExpression *'] }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0 }],
      '@stylistic/no-tabs': 'error',
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/arrow-spacing': 'error',
    },
  },
  {
    // Tests read loosely typed HTTP and JSON answers; `any` there is not domain code.
    files: ['test/**', '**/*.test.ts', '**/testing/**', '**/contract/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
