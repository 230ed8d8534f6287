// Lint: the recommended rules, plus the architecture this tree keeps (see README, Development):
// a pure planning core, words only at the top (src/cli), one process runner, engines as the only
// place that knows docker from native.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// In flat config a later no-restricted-imports replaces an earlier one for the same file, so each
// group of files gets one rule listing every restriction that applies to it.
const CLI = { group: ['**/cli/*', '**/cli/**'], message: 'Facts go up, words stay at the top: nothing below src/cli imports it.' };
const SPAWN = { group: ['node:child_process', 'child_process', 'zx'], message: 'Every child process goes through src/proc/run.ts.' };
const PURE = {
  group: ['node:*', 'pg', 'ioredis', 'pm2', '@temporalio/*', '**/engines/**', '**/lifecycle/**', '**/data/**', '**/proxy/**', '**/pm2/client.js'],
  message: 'The planning core is pure: no I/O, no adapters.',
};
const DATA = { group: ['**/data/*', '**/data/**'], message: 'Data operations (src/data/) build on the lifecycle, not the other way round.' };
const SIBLING = { group: ['./*'], message: 'A command does not import another: what two commands share lives in src/cli/support/.' };
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '**/.instances/', 'examples/*/apps/frontend/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortController: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'off', // tests read JSON from the demo apps
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  // CommonJS on purpose: PM2 loads an ecosystem file with require().
  {
    files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['examples/*/apps/frontend/src/**'], languageOptions: { globals: { document: 'readonly', window: 'readonly' } } },
  { files: ['src/**/*.ts'], ignores: ['src/cli/**', 'src/proc/run.ts'], rules: restrict(CLI, SPAWN) },
  { files: ['src/cli/**/*.ts'], rules: restrict(SPAWN) },
  { files: ['src/cli/commands/*.ts'], rules: restrict(SPAWN, SIBLING) },
  { files: ['src/proc/run.ts'], rules: restrict(CLI) },
  { files: ['src/plan/**/*.ts', 'src/config/validate.ts', 'src/config/types.ts'], rules: restrict(CLI, SPAWN, PURE) },
  {
    files: ['src/lifecycle/**/*.ts'],
    rules: restrict(CLI, SPAWN, DATA),
  },
  {
    files: ['src/lifecycle/**/*.ts', 'src/data/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "Literal[value=/^(docker|native)$/]",
        message: 'Lifecycle asks an Engine; only src/engines/ knows docker from native.',
      }],
    },
  },
);
