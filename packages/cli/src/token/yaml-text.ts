// Users load this module with `await import()` (yaml is needed only with -c or --cache). It imports
// yaml statically because the bundle gives a CommonJS package reached directly through a split
// dynamic import only a default export.
export { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
