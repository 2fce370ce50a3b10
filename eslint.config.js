import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layers = ['core', 'token', 'mapping', 'server', 'cli'];
/** core ← token ← mapping ← server ← cli: a package may import only the layers to its left. */
const layerRules = layers.map((name, index) => ({
  files: [`packages/${name}/src/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            // A package's declared subpath exports are its public surface too.
            group: [
              '**/packages/*/src/**',
              '**/packages/*/dist/**',
              '@iam-authenticator/*/**',
              '!@iam-authenticator/mapping/kube',
            ],
            message: 'no deep imports into another package',
          },
          ...layers.slice(index + 1).map((later) => ({
            group: [`@iam-authenticator/${later}`],
            message: `${name} may not depend on ${later}`,
          })),
          ...(name === 'cli'
            ? []
            : [{ group: ['@iam-authenticator/sts-emulator'], message: 'only the cli uses the emulator' }]),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'packages/cli/bundle/**',
      'coverage/**',
      'scripts/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'only bin.ts ends the process' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  ...layerRules,
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
);
