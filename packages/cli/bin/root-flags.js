'use strict';
// The reference's root flags (cobra persistent flags: -c/--config, -l/--log-format, -v/--log-verbosity,
// -i/--cluster-id, --feature-gates) may come before the command: `aws-iam-authenticator -i c token`.
// They are moved after it, where each command reads them.
const WITH_VALUE = new Set([
  '-c',
  '--config',
  '-l',
  '--log-format',
  '-v',
  '--log-verbosity',
  '-i',
  '--cluster-id',
  '--feature-gates',
]);

function rootFlagName(arg) {
  const eq = arg.indexOf('=');
  return eq > 0 ? arg.slice(0, eq) : arg;
}

/** argv with leading root flags moved after the command; argv itself when it starts with the command. */
function hoistRootFlags(argv) {
  const flags = [];
  let i = 0;
  while (i < argv.length && WITH_VALUE.has(rootFlagName(argv[i]))) {
    const inline = argv[i].includes('=');
    flags.push(...argv.slice(i, inline ? i + 1 : i + 2));
    i += inline ? 1 : 2;
  }
  if (flags.length === 0 || i >= argv.length) return argv;
  return [argv[i], ...flags, ...argv.slice(i + 1)];
}

module.exports = { hoistRootFlags };
