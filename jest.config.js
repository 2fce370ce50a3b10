/** Jest runs the compiled ESM output of `tsc -b` (no transform): what is tested is what ships. */
export default {
  testEnvironment: 'node',
  transform: {},
  testMatch: ['<rootDir>/packages/*/dist/**/*.test.js', '<rootDir>/test/dist/**/*.test.js'],
  testPathIgnorePatterns: ['/node_modules/', '/test/dist/bench/'],
  moduleFileExtensions: ['js', 'mjs', 'cjs', 'json'],
  testTimeout: 30000,
  maxWorkers: 2,
};
