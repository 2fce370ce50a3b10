import { isIP } from 'node:net';
import { assertMappingsValid, formatIssue, parseMappingsConfig } from '@iam-authenticator/mapping';
import type { ParseIssue } from '@iam-authenticator/mapping';
import { PARTITIONS, isPartitionId } from '@iam-authenticator/token';
import type { PartitionId } from '@iam-authenticator/token';

/** Reference backend names (§3.4); the deprecated aliases are accepted with a warning. */
export type ServerBackendMode = 'MountedFile' | 'EKSConfigMap' | 'CRD' | 'DynamicFile';

const BACKEND_MODES: readonly ServerBackendMode[] = ['MountedFile', 'EKSConfigMap', 'CRD', 'DynamicFile'];
const DEPRECATED_MODES: Readonly<Record<string, ServerBackendMode>> = {
  File: 'MountedFile',
  ConfigMap: 'EKSConfigMap',
};
/**
 * Backend mode names (of `server.backendMode` or a dynamic backend mode file) in chain order: deprecated
 * aliases become their names (with a warning); unknown names, duplicates and an empty list are problems.
 */
export function parseBackendModes(names: readonly string[]): {
  modes: ServerBackendMode[];
  problems: string[];
  warnings: string[];
} {
  const modes: ServerBackendMode[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  if (names.length === 0) problems.push('at least one backend-mode must be specified');
  for (const name of names) {
    const deprecated = DEPRECATED_MODES[name];
    const mode = deprecated ?? BACKEND_MODES.find((m) => m === name);
    if (deprecated !== undefined) warnings.push(`${show(name)} is deprecated, use ${show(deprecated)}`);
    if (mode === undefined) {
      problems.push(`backend-mode ${show(name)} is not a valid mode (expected ${BACKEND_MODES.join(', ')})`);
    } else if (modes.includes(mode)) {
      problems.push(`backend-mode ${show(names.join(','))} has duplicates`);
    } else modes.push(mode);
  }
  return { modes, problems, warnings };
}

/** Partition ids the verifier knows (the token package's table). */
export const PARTITION_IDS: readonly PartitionId[] = PARTITIONS.map((p) => p.id);
const FEATURE_GATES: readonly string[] = [
  'ConfiguredInitDirectories',
  'IAMIdentityMappingCRD',
  'SSORoleMatch',
];

/** The fully resolved, validated server configuration (flags > env > file > defaults). */
export interface ServerConfig {
  readonly clusterId: string;
  readonly partition: PartitionId;
  /** Optional region allow-list for token hosts (ours: `--region`, `server.regions`). */
  readonly regions?: readonly string[];
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  /** Plain-HTTP health listener: reference fixed :21363 on every interface; ours configurable (0 = any free port). */
  readonly healthPort: number;
  readonly healthAddress: string;
  readonly stateDir: string;
  readonly generateKubeconfig: string;
  readonly kubeconfigPregenerated: boolean;
  /** API-server client for EKSConfigMap/CRD ("" = in-cluster or default loading rules). */
  readonly kubeconfig: string;
  readonly master: string;
  readonly backendMode: readonly ServerBackendMode[];
  /** Raw `server.mapRoles`/`mapUsers`/`mapAccounts` values, parsed by the mapping package. */
  readonly mapRoles: unknown;
  readonly mapUsers: unknown;
  readonly mapAccounts: unknown;
  readonly dynamicFilePath: string;
  readonly dynamicFileUserIdStrict: boolean;
  readonly dynamicBackendModePath: string;
  readonly scrubbedAccounts: readonly string[];
  readonly reservedPrefixes: Readonly<Partial<Record<ServerBackendMode, readonly string[]>>>;
  readonly ec2DescribeInstancesRoleArn: string;
  readonly sourceArn: string;
  readonly ec2DescribeInstancesQps: number;
  readonly ec2DescribeInstancesBurst: number;
  /** Ours: EC2 region for {{EC2PrivateDNSName}} (flag > AWS_REGION > AWS_DEFAULT_REGION > first of regions > us-east-1; no IMDS). */
  readonly ec2Region: string;
  readonly featureGates: Readonly<Record<string, boolean>>;
  /** Ours: PEM CA file; when set, clients (kube-apiserver) must present a certificate it signed. */
  readonly clientCaFile: string;
  /** Ours: identity cache TTL in seconds (0 disables the cache). Default 60. */
  readonly identityCacheTtlSeconds: number;
  /** Ours: identity cache bound. Default 10000 entries. */
  readonly identityCacheMaxEntries: number;
  /** Ours: send STS calls to this https URL instead of the token's host (tests, demo, private endpoints). */
  readonly stsEndpointOverride: string;
  /** Ours: extra PEM CA trusted for the STS connection. */
  readonly stsCaFile: string;
  /** Ours: concurrent STS calls bound. Default 50. */
  readonly stsMaxConcurrency: number;
  /** Ours: STS call timeout (reference: 10 s). */
  readonly stsTimeoutMs: number;
  /** Ours: TokenReview body cap. Default 64 KiB (the token itself is capped at 16 KiB). */
  readonly maxBodyBytes: number;
}

export type ServerFlagValue = string | boolean | readonly string[] | undefined;
/** Flags by long name without dashes, e.g. `{ 'cluster-id': 'prod', port: '21362' }`. */
export type ServerFlags = Readonly<Record<string, ServerFlagValue>>;

export interface ResolvedServerConfig {
  /** Present only when `problems` is empty. */
  readonly config?: ServerConfig;
  /** Every problem, each starting with its dotted path. */
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

const DEFAULTS = {
  partition: 'aws',
  address: '127.0.0.1',
  port: 21362,
  hostname: 'localhost',
  healthPort: 21363,
  healthAddress: '0.0.0.0',
  stateDir: '/var/aws-iam-authenticator',
  generateKubeconfig: '/etc/kubernetes/aws-iam-authenticator/kubeconfig.yaml',
  ec2Qps: 15,
  ec2Burst: 5,
  identityCacheTtlSeconds: 60,
  identityCacheMaxEntries: 10_000,
  stsMaxConcurrency: 50,
  stsTimeoutMs: 10_000,
  maxBodyBytes: 64 * 1024,
} as const;

type Lookup = (dottedKey: string) => unknown;

/** Viper keys are case-insensitive: look a dotted path up ignoring case at every level. */
function fileLookup(fileValues: unknown): Lookup {
  return (dottedKey) => {
    let node: unknown = fileValues;
    for (const part of dottedKey.split('.')) {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
      const want = part.toLowerCase();
      const entry = Object.entries(node as Record<string, unknown>).find(([k]) => k.toLowerCase() === want);
      if (entry === undefined) return undefined;
      node = entry[1];
    }
    return node;
  };
}

const ACCOUNT_ID = /^\d{12}$/;

/** Whether the config file's scrubbedAccounts list holds, at `index`, a number (an unquoted YAML ID). */
function numericScrubbed(raw: unknown, index: number): boolean {
  return Array.isArray(raw) && typeof raw[index] === 'number';
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) as string | undefined;
  const out = text ?? String(value);
  return out.length > 60 ? `${out.slice(0, 58)}…"` : out;
};

/** Go-style durations ("60s", "1m30s", "500ms") or plain seconds. Returns seconds. */
export function parseDurationSeconds(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    const n = Number(match[1]);
    const unit = match[2];
    total += unit === 'ms' ? n / 1000 : unit === 's' ? n : unit === 'm' ? n * 60 : n * 3600;
    consumed = re.lastIndex;
  }
  return consumed === text.length && text.length > 0 ? total : undefined;
}

export interface ResolveChecks {
  /**
   * Why a file the server reads at start (`clientCA`, `stsCA`) cannot be read, or undefined when it
   * can: the CLI checks the file system, so that a missing file is listed with every other problem.
   */
  readonly fileProblem?: (path: string) => string | undefined;
}

/**
 * Merges flags > env > config file > defaults once into a frozen ServerConfig. Accepts the reference's
 * config keys (case-insensitive) and `server` flags unchanged, plus ours. Never throws: every problem is
 * returned with its dotted path.
 */
export function resolveServerConfig(
  fileValues: unknown,
  flags: ServerFlags,
  env: Readonly<Record<string, string | undefined>>,
  checks: ResolveChecks = {},
): ResolvedServerConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const file = fileLookup(fileValues ?? {});
  if (
    fileValues !== undefined &&
    fileValues !== null &&
    (typeof fileValues !== 'object' || Array.isArray(fileValues))
  ) {
    problems.push(`config: expected a mapping of keys, received ${show(fileValues)}`);
  }

  const flag = (name: string): ServerFlagValue => flags[name];
  /** First defined of: flag, env, file keys. */
  const pick = (
    path: string,
    flagName: string | undefined,
    fileKeys: readonly string[],
    envName?: string,
  ) => {
    const fromFlag = flagName === undefined ? undefined : flag(flagName);
    if (fromFlag !== undefined) return { value: fromFlag as unknown, path: `--${flagName ?? ''}` };
    const fromEnv = envName === undefined ? undefined : env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv as unknown, path: envName ?? path };
    for (const key of fileKeys) {
      const v = file(key);
      if (v !== undefined && v !== null) return { value: v, path: key };
    }
    return { value: undefined as unknown, path };
  };

  /** Where the winning value came from (flag, env or file key), for problem messages. */
  const where = (path: string, flagName: string | undefined, fileKeys: readonly string[]): string =>
    pick(path, flagName, fileKeys).path;
  const str = (
    path: string,
    flagName: string | undefined,
    fileKeys: readonly string[],
    dflt: string,
    envName?: string,
  ) => {
    const got = pick(path, flagName, fileKeys, envName);
    if (got.value === undefined) return dflt;
    if (typeof got.value === 'string') return got.value;
    if (typeof got.value === 'number') return String(got.value);
    problems.push(`${got.path}: expected a string, received ${show(got.value)}`);
    return dflt;
  };
  const int = (
    path: string,
    flagName: string | undefined,
    fileKeys: readonly string[],
    dflt: number,
    min: number,
    max: number,
  ) => {
    const got = pick(path, flagName, fileKeys);
    if (got.value === undefined) return dflt;
    const n =
      typeof got.value === 'number'
        ? got.value
        : typeof got.value === 'string' && /^-?\d+$/.test(got.value.trim())
          ? Number(got.value)
          : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${got.path}: expected an integer in ${min}..${max}, received ${show(got.value)}`);
      return dflt;
    }
    return n;
  };
  const bool = (path: string, flagName: string | undefined, fileKeys: readonly string[], dflt: boolean) => {
    const got = pick(path, flagName, fileKeys);
    if (got.value === undefined) return dflt;
    if (typeof got.value === 'boolean') return got.value;
    if (typeof got.value === 'string' && /^(true|false)$/i.test(got.value))
      return got.value.toLowerCase() === 'true';
    problems.push(`${got.path}: expected true or false, received ${show(got.value)}`);
    return dflt;
  };
  const list = (
    path: string,
    flagName: string | undefined,
    fileKeys: readonly string[],
  ): string[] | undefined => {
    const got = pick(path, flagName, fileKeys);
    if (got.value === undefined) return undefined;
    const raw: unknown[] =
      typeof got.value === 'string'
        ? got.value.split(',')
        : Array.isArray(got.value)
          ? (got.value as unknown[]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]))
          : [got.value];
    const out: string[] = [];
    raw.forEach((v, i) => {
      if (typeof v === 'string') {
        if (v.trim() !== '') out.push(v.trim());
      } else if (typeof v === 'number') out.push(String(v));
      else problems.push(`${got.path}[${i}]: expected a string, received ${show(v)}`);
    });
    return out;
  };

  const clusterId = str(
    'clusterID',
    'cluster-id',
    ['clusterID'],
    '',
    'KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID',
  );
  if (clusterId === '')
    problems.push('clusterID: cluster ID cannot be empty (set -i/--cluster-id or clusterID)');
  else if (!/^[\x20-\x7e]+$/.test(clusterId)) {
    // It is sent to STS as the x-k8s-aws-id header, which takes printable ASCII only.
    problems.push(`clusterID: expected printable ASCII characters, received ${show(clusterId)}`);
  }

  const partition = str(
    'server.partition',
    'partition',
    ['server.partition', 'partition'],
    DEFAULTS.partition,
  );
  if (!isPartitionId(partition)) {
    problems.push(
      `${where('server.partition', 'partition', ['server.partition', 'partition'])}: expected one of ${PARTITION_IDS.join(', ')}, received ${show(partition)}`,
    );
  }
  const regions = list('server.regions', 'region', ['server.regions']);
  for (const region of regions ?? []) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(region))
      problems.push(`server.regions: expected a region name, received ${show(region)}`);
  }

  const address = str('server.address', 'address', ['server.address'], DEFAULTS.address);
  if (isIP(address) === 0)
    problems.push(
      `${where('server.address', 'address', ['server.address'])}: expected an IP address, received ${show(address)}`,
    );
  const port = int('server.port', 'port', ['server.port'], DEFAULTS.port, 0, 65535);
  const hostname = str('server.hostname', 'hostname', ['server.hostname'], DEFAULTS.hostname);
  if (hostname === '') problems.push('server.hostname: expected a host name, received ""');
  const healthPort = int(
    'server.healthPort',
    'health-port',
    ['server.healthPort'],
    DEFAULTS.healthPort,
    0,
    65535,
  );
  const healthAddress = str(
    'server.healthAddress',
    'health-address',
    ['server.healthAddress'],
    DEFAULTS.healthAddress,
  );
  if (isIP(healthAddress) === 0)
    problems.push(`server.healthAddress: expected an IP address, received ${show(healthAddress)}`);

  const stateDir = str('server.stateDir', 'state-dir', ['server.stateDir'], DEFAULTS.stateDir);
  const generateKubeconfig = str(
    'server.generateKubeconfig',
    'generate-kubeconfig',
    ['server.generateKubeconfig'],
    DEFAULTS.generateKubeconfig,
  );
  const kubeconfigPregenerated = bool(
    'server.kubeconfigPregenerated',
    'kubeconfig-pregenerated',
    ['server.kubeconfigPregenerated'],
    false,
  );
  const kubeconfig = str('server.kubeconfig', 'kubeconfig', ['server.kubeconfig'], '');
  const master = str('server.master', 'master', ['server.master'], '');

  const modeNames = list('server.backendMode', 'backend-mode', ['server.backendMode']) ?? ['MountedFile'];
  const parsedModes = parseBackendModes(modeNames);
  const backendMode = parsedModes.modes;
  problems.push(...parsedModes.problems.map((problem) => `server.backendMode: ${problem}`));
  warnings.push(...parsedModes.warnings.map((warning) => `server.backendMode: ${warning}`));

  const dynamicBackendModePath = str(
    'server.dynamicBackendModePath',
    undefined,
    ['server.dynamicBackendModePath'],
    '',
  );
  const dynamicFilePath = str('server.dynamicfilepath', undefined, ['server.dynamicfilepath'], '');
  if (backendMode.includes('DynamicFile') && dynamicFilePath === '') {
    problems.push(
      'server.dynamicfilepath: dynamicfile is set in backend-mode but dynamicfilepath is not set',
    );
  }
  // With a dynamic backend mode file, DynamicFile may be switched on later: its path may be set ahead.
  if (!backendMode.includes('DynamicFile') && dynamicFilePath !== '' && dynamicBackendModePath === '') {
    problems.push(
      'server.dynamicfilepath: dynamicfile is not set in backend-mode but dynamicfilepath is set',
    );
  }
  const dynamicFileUserIdStrict = bool(
    'server.dynamicfileUserIDStrict',
    undefined,
    ['server.dynamicfileUserIDStrict'],
    false,
  );

  const scrubbedAccounts = (
    list('server.scrubbedAccounts', undefined, ['server.scrubbedAccounts']) ?? []
  ).map((account, i) => {
    if (ACCOUNT_ID.test(account)) return account;
    // YAML reads an unquoted 012345678901 as the number 12345678901: account IDs are 12 digits, so the
    // lost zeros are restored rather than leave that account's ARNs unscrubbed.
    if (/^\d{1,11}$/.test(account) && numericScrubbed(file('server.scrubbedAccounts'), i)) {
      const restored = account.padStart(12, '0');
      warnings.push(
        `server.scrubbedAccounts[${i}]: read as the number ${account}, taken as account ${restored} (quote account IDs in YAML)`,
      );
      return restored;
    }
    warnings.push(
      `server.scrubbedAccounts[${i}]: ${show(account)} is not an account ID of 12 digits and scrubs nothing`,
    );
    return account;
  });

  const reservedPrefixes: Partial<Record<ServerBackendMode, readonly string[]>> = {};
  const rpc = file('server.reservedPrefixConfig');
  if (rpc !== undefined && rpc !== null) {
    if (!Array.isArray(rpc))
      problems.push(`server.reservedPrefixConfig: expected a list, received ${show(rpc)}`);
    else {
      rpc.forEach((entry: unknown, i) => {
        const at = `server.reservedPrefixConfig[${i}]`;
        const get = fileLookup(entry);
        const mode = get('backendmode');
        const prefixes = get('usernamePrefixReserveList');
        if (
          typeof mode !== 'string' ||
          !(BACKEND_MODES as readonly string[]).includes(DEPRECATED_MODES[mode] ?? mode)
        ) {
          problems.push(
            `${at}.backendmode: expected one of ${BACKEND_MODES.join(', ')}, received ${show(mode)}`,
          );
          return;
        }
        if (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string')) {
          problems.push(
            `${at}.usernamePrefixReserveList: expected a list of strings, received ${show(prefixes)}`,
          );
          return;
        }
        reservedPrefixes[(DEPRECATED_MODES[mode] ?? mode) as ServerBackendMode] = prefixes.filter(
          (p) => p !== '',
        );
      });
    }
  }

  const ec2DescribeInstancesRoleArn = str(
    'server.ec2DescribeInstancesRoleARN',
    undefined,
    ['server.ec2DescribeInstancesRoleARN'],
    '',
  );
  if (
    ec2DescribeInstancesRoleArn !== '' &&
    !/^arn:[a-z-]+:iam::\d{12}:role\/.+$/.test(ec2DescribeInstancesRoleArn)
  ) {
    problems.push(
      `server.ec2DescribeInstancesRoleARN: expected a role ARN, received ${show(ec2DescribeInstancesRoleArn)}`,
    );
  }
  const sourceArn = str('server.sourceARN', undefined, ['server.sourceARN'], '');
  if (sourceArn !== '' && !/^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/.test(sourceArn)) {
    problems.push(
      `server.sourceARN: expected an ARN (arn:partition:service:region:account:resource), received ${show(sourceArn)}`,
    );
  } else if (sourceArn !== '' && ec2DescribeInstancesRoleArn === '') {
    warnings.push(
      'server.sourceARN is set without server.ec2DescribeInstancesRoleARN: it is only sent on the AssumeRole calls of that role, so it is unused',
    );
  }
  const ec2DescribeInstancesQps = int(
    'server.ec2DescribeInstancesQps',
    'ec2-describeInstances-qps',
    ['server.ec2DescribeInstancesQps'],
    DEFAULTS.ec2Qps,
    0,
    1_000_000,
  );
  const ec2DescribeInstancesBurst = int(
    'server.ec2DescribeInstancesBurst',
    'ec2-describeInstances-burst',
    ['server.ec2DescribeInstancesBurst'],
    DEFAULTS.ec2Burst,
    0,
    1_000_000,
  );

  const ec2Region = str(
    'server.ec2Region',
    'ec2-region',
    ['server.ec2Region'],
    env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? regions?.[0] ?? 'us-east-1',
  );

  const featureGates: Record<string, boolean> = {};
  const gates = pick('feature-gates', 'feature-gates', ['feature-gates', 'featureGates']);
  if (gates.value !== undefined) {
    const pairs: [string, unknown][] =
      typeof gates.value === 'string'
        ? gates.value
            .split(',')
            .filter((p) => p.trim() !== '')
            .map((p) => {
              const [k = '', v = ''] = p.split('=');
              return [k.trim(), v.trim()];
            })
        : gates.value !== null && typeof gates.value === 'object' && !Array.isArray(gates.value)
          ? Object.entries(gates.value as Record<string, unknown>)
          : [];
    if (pairs.length === 0 && !(typeof gates.value === 'string' && gates.value.trim() === '')) {
      if (typeof gates.value !== 'string')
        problems.push(`${gates.path}: expected Gate=true|false pairs, received ${show(gates.value)}`);
    }
    for (const [name, value] of pairs) {
      if (!FEATURE_GATES.includes(name)) {
        problems.push(
          `${gates.path}: unrecognized feature gate ${show(name)} (expected ${FEATURE_GATES.join(', ')})`,
        );
      } else if (
        value === true ||
        value === false ||
        (typeof value === 'string' && /^(true|false)$/i.test(value))
      ) {
        featureGates[name] = value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
      } else
        problems.push(`${gates.path}: feature gate ${name} expects true or false, received ${show(value)}`);
    }
  }

  const readable = (path: string, key: string, flagName: string): void => {
    const problem = path === '' ? undefined : checks.fileProblem?.(path);
    if (problem !== undefined) problems.push(`${where(key, flagName, [key])}: ${problem}`);
  };
  const clientCaFile = str('server.clientCA', 'client-ca', ['server.clientCA'], '');
  readable(clientCaFile, 'server.clientCA', 'client-ca');
  const ttlRaw = pick('server.identityCacheTTL', 'identity-cache-ttl', ['server.identityCacheTTL']);
  let identityCacheTtlSeconds: number = DEFAULTS.identityCacheTtlSeconds;
  if (ttlRaw.value !== undefined) {
    const parsed =
      typeof ttlRaw.value === 'string' || typeof ttlRaw.value === 'number'
        ? parseDurationSeconds(ttlRaw.value)
        : undefined;
    if (parsed === undefined || parsed > 900)
      problems.push(
        `${ttlRaw.path}: expected a duration from 0s to 15m (e.g. 60s), received ${show(ttlRaw.value)}`,
      );
    else identityCacheTtlSeconds = parsed;
  }
  const identityCacheMaxEntries = int(
    'server.identityCacheMaxEntries',
    'identity-cache-max-entries',
    ['server.identityCacheMaxEntries'],
    DEFAULTS.identityCacheMaxEntries,
    1,
    10_000_000,
  );
  const stsEndpointOverride = str(
    'server.stsEndpointOverride',
    'sts-endpoint-override',
    ['server.stsEndpointOverride'],
    '',
  );
  if (stsEndpointOverride !== '') {
    let ok: boolean;
    try {
      const url = new URL(stsEndpointOverride);
      ok =
        url.protocol === 'https:' &&
        url.username === '' &&
        url.password === '' &&
        url.search === '' &&
        url.hash === '';
    } catch {
      ok = false;
    }
    if (!ok)
      problems.push(
        `${where('server.stsEndpointOverride', 'sts-endpoint-override', ['server.stsEndpointOverride'])}: expected an https URL without query or credentials, received ${show(stsEndpointOverride)}`,
      );
  }
  const stsCaFile = str('server.stsCA', 'sts-ca', ['server.stsCA'], '');
  readable(stsCaFile, 'server.stsCA', 'sts-ca');
  const stsMaxConcurrency = int(
    'server.stsMaxConcurrency',
    'sts-max-concurrency',
    ['server.stsMaxConcurrency'],
    DEFAULTS.stsMaxConcurrency,
    1,
    100_000,
  );
  const stsTimeoutMs = int(
    'server.stsTimeoutMs',
    'sts-timeout-ms',
    ['server.stsTimeoutMs'],
    DEFAULTS.stsTimeoutMs,
    1,
    600_000,
  );
  const maxBodyBytes = int(
    'server.maxBodyBytes',
    undefined,
    ['server.maxBodyBytes'],
    DEFAULTS.maxBodyBytes,
    17 * 1024,
    16 * 1024 * 1024,
  );

  problems.push(
    ...mountedFileProblems({
      backendMode,
      mapRoles: file('server.mapRoles'),
      mapUsers: file('server.mapUsers'),
      mapAccounts: file('server.mapAccounts'),
    }),
  );

  if (problems.length > 0 || !isPartitionId(partition)) return { problems, warnings };
  const config: ServerConfig = {
    clusterId,
    partition,
    ...(regions !== undefined && regions.length > 0 ? { regions } : {}),
    address,
    port,
    hostname,
    healthPort,
    healthAddress,
    stateDir,
    generateKubeconfig,
    kubeconfigPregenerated,
    kubeconfig,
    master,
    backendMode,
    mapRoles: file('server.mapRoles'),
    mapUsers: file('server.mapUsers'),
    mapAccounts: file('server.mapAccounts'),
    dynamicFilePath,
    dynamicFileUserIdStrict,
    dynamicBackendModePath,
    scrubbedAccounts,
    reservedPrefixes,
    ec2DescribeInstancesRoleArn,
    sourceArn,
    ec2DescribeInstancesQps,
    ec2DescribeInstancesBurst,
    ec2Region,
    featureGates,
    clientCaFile,
    identityCacheTtlSeconds,
    identityCacheMaxEntries,
    stsEndpointOverride,
    stsCaFile,
    stsMaxConcurrency,
    stsTimeoutMs,
    maxBodyBytes,
  };
  return { config: Object.freeze(config), problems, warnings };
}

/**
 * Problems of `server.mapRoles` / `mapUsers` / `mapAccounts` with dotted paths, for the start-up report
 * (MountedFile stops the server on any invalid entry, as the reference).
 */
export function mountedFileProblems(
  config: Pick<ServerConfig, 'backendMode' | 'mapRoles' | 'mapUsers' | 'mapAccounts'>,
): string[] {
  if (!config.backendMode.includes('MountedFile')) return [];
  const parsed = parseMappingsConfig({
    mapRoles: config.mapRoles,
    mapUsers: config.mapUsers,
    mapAccounts: config.mapAccounts,
  });
  try {
    assertMappingsValid(parsed);
    return [];
  } catch (error) {
    const issues = (error as { issues?: readonly ParseIssue[] }).issues;
    if (issues === undefined) throw error;
    return issues.map((issue) => `server.${formatIssue(issue)}`);
  }
}
