import { parseDurationSeconds, resolveServerConfig } from './config.js';

describe('resolveServerConfig', () => {
  it('applies the reference defaults', () => {
    const { config, problems } = resolveServerConfig({ clusterID: 'prod' }, {}, {});
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      clusterId: 'prod',
      partition: 'aws',
      address: '127.0.0.1',
      port: 21362,
      hostname: 'localhost',
      healthPort: 21363,
      stateDir: '/var/aws-iam-authenticator',
      generateKubeconfig: '/etc/kubernetes/aws-iam-authenticator/kubeconfig.yaml',
      kubeconfigPregenerated: false,
      backendMode: ['MountedFile'],
      ec2DescribeInstancesQps: 15,
      ec2DescribeInstancesBurst: 5,
      identityCacheTtlSeconds: 60,
      stsTimeoutMs: 10_000,
    });
  });

  it('reads the reference config keys in any letter case', () => {
    const file = {
      clusterid: 'c',
      Server: {
        PORT: 9443,
        address: '0.0.0.0',
        stateDir: '/s',
        generateKubeconfig: '/k.yaml',
        kubeconfigPregenerated: true,
        backendMode: ['EKSConfigMap', 'MountedFile'],
        mapRoles: [{ rolearn: 'arn:aws:iam::111122223333:role/a', username: 'a' }],
        mapUsers: [],
        mapAccounts: ['111122223333'],
        scrubbedAccounts: ['111122223333'],
        reservedPrefixConfig: [
          { backendmode: 'MountedFile', usernamePrefixReserveList: ['system:', 'eks:'] },
        ],
        ec2DescribeInstancesQps: 3,
        ec2DescribeInstancesBurst: 7,
        partition: 'aws-us-gov',
      },
    };
    const { config, problems } = resolveServerConfig(file, {}, {});
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      port: 9443,
      address: '0.0.0.0',
      stateDir: '/s',
      kubeconfigPregenerated: true,
      backendMode: ['EKSConfigMap', 'MountedFile'],
      mapAccounts: ['111122223333'],
      scrubbedAccounts: ['111122223333'],
      reservedPrefixes: { MountedFile: ['system:', 'eks:'] },
      ec2DescribeInstancesQps: 3,
      ec2DescribeInstancesBurst: 7,
      partition: 'aws-us-gov',
    });
  });

  it('lets flags win over env and env over the file', () => {
    const { config } = resolveServerConfig(
      { clusterID: 'file', server: { port: 1 } },
      { port: '2', 'identity-cache-ttl': '2m', 'sts-endpoint-override': 'https://127.0.0.1:9/' },
      { KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID: 'env' },
    );
    expect(config?.clusterId).toBe('env');
    expect(config?.port).toBe(2);
    expect(config?.identityCacheTtlSeconds).toBe(120);
    expect(config?.stsEndpointOverride).toBe('https://127.0.0.1:9/');
    const flagWins = resolveServerConfig(
      {},
      { 'cluster-id': 'flag' },
      { KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID: 'env' },
    );
    expect(flagWins.config?.clusterId).toBe('flag');
  });

  it('lists every problem with its dotted path and gives no config', () => {
    const { config, problems } = resolveServerConfig(
      {
        server: {
          port: 'abc',
          address: 'nowhere',
          backendMode: ['MountedFile', 'ModeFoo', 'MountedFile'],
          reservedPrefixConfig: [{ backendmode: 'Nope', usernamePrefixReserveList: [] }],
          partition: 'aws-nk',
        },
      },
      { 'identity-cache-ttl': 'soon', 'sts-endpoint-override': 'http://x', 'feature-gates': 'Bogus=true' },
      {},
    );
    expect(config).toBeUndefined();
    const text = problems.join('\n');
    expect(text).toContain('clusterID: cluster ID cannot be empty');
    expect(text).toContain('server.port: expected an integer in 0..65535, received "abc"');
    expect(text).toContain('server.address: expected an IP address, received "nowhere"');
    expect(text).toContain('backend-mode "ModeFoo" is not a valid mode');
    expect(text).toContain('has duplicates');
    expect(text).toContain('server.reservedPrefixConfig[0].backendmode');
    expect(text).toContain('server.partition: expected one of');
    expect(text).toContain('--identity-cache-ttl: expected a duration');
    expect(text).toContain('--sts-endpoint-override: expected an https URL');
    expect(text).toContain('unrecognized feature gate "Bogus"');
    expect(problems.length).toBeGreaterThanOrEqual(10);
  });

  it('checks server.ec2DescribeInstancesRoleARN and server.sourceARN, and warns when sourceARN has no role', () => {
    const role = 'arn:aws:iam::111122223333:role/ec2-reader';
    const source = 'arn:aws:eks:us-east-1:111122223333:cluster/prod';
    const both = resolveServerConfig(
      { clusterID: 'c', server: { ec2DescribeInstancesRoleARN: role, sourceARN: source } },
      {},
      {},
    );
    expect(both.problems).toEqual([]);
    expect(both.warnings).toEqual([]);
    expect(both.config).toMatchObject({ ec2DescribeInstancesRoleArn: role, sourceArn: source });
    // An ARN without an account (S3 style) is an ARN: only x-amz-source-arn is then sent.
    const noAccount = resolveServerConfig(
      { clusterID: 'c', server: { ec2DescribeInstancesRoleARN: role, sourceARN: 'arn:aws:s3:::bucket' } },
      {},
      {},
    );
    expect(noAccount.problems).toEqual([]);
    const bad = resolveServerConfig(
      { clusterID: 'c', server: { ec2DescribeInstancesRoleARN: 'role/x', sourceARN: 'cluster/prod' } },
      {},
      {},
    );
    expect(bad.config).toBeUndefined();
    expect(bad.problems).toEqual([
      'server.ec2DescribeInstancesRoleARN: expected a role ARN, received "role/x"',
      'server.sourceARN: expected an ARN (arn:partition:service:region:account:resource), received "cluster/prod"',
    ]);
    const alone = resolveServerConfig({ clusterID: 'c', server: { sourceARN: source } }, {}, {});
    expect(alone.problems).toEqual([]);
    expect(alone.warnings).toEqual([
      'server.sourceARN is set without server.ec2DescribeInstancesRoleARN: it is only sent on the AssumeRole calls of that role, so it is unused',
    ]);
  });

  it('refuses a cluster ID that cannot be sent as the x-k8s-aws-id header', () => {
    for (const clusterID of ['café', 'a\nb', 'tab\there']) {
      const { config, problems } = resolveServerConfig({ clusterID }, {}, {});
      expect(config).toBeUndefined();
      expect(problems).toEqual([
        `clusterID: expected printable ASCII characters, received ${JSON.stringify(clusterID)}`,
      ]);
    }
    expect(resolveServerConfig({ clusterID: 'my cluster/prod-1' }, {}, {}).problems).toEqual([]);
  });

  it('restores the leading zeros YAML drops from an unquoted scrubbed account, and warns about IDs that scrub nothing', () => {
    // What the yaml package makes of `scrubbedAccounts: [012345678901, "01234", abc, 111122223333]`.
    const { config, warnings } = resolveServerConfig(
      { clusterID: 'c', server: { scrubbedAccounts: [12345678901, '01234', 'abc', 111122223333] } },
      {},
      {},
    );
    expect(config?.scrubbedAccounts).toEqual(['012345678901', '01234', 'abc', '111122223333']);
    expect(warnings).toEqual([
      'server.scrubbedAccounts[0]: read as the number 12345678901, taken as account 012345678901 (quote account IDs in YAML)',
      'server.scrubbedAccounts[1]: "01234" is not an account ID of 12 digits and scrubs nothing',
      'server.scrubbedAccounts[2]: "abc" is not an account ID of 12 digits and scrubs nothing',
    ]);
  });

  it('accepts deprecated backend modes with a warning and checks the dynamic file pairing', () => {
    const ok = resolveServerConfig({ clusterID: 'c', server: { backendMode: 'File,ConfigMap' } }, {}, {});
    expect(ok.config?.backendMode).toEqual(['MountedFile', 'EKSConfigMap']);
    expect(ok.warnings.length).toBe(2);
    const missing = resolveServerConfig({ clusterID: 'c' }, { 'backend-mode': ['DynamicFile'] }, {});
    expect(missing.problems).toEqual([
      'server.dynamicfilepath: dynamicfile is set in backend-mode but dynamicfilepath is not set',
    ]);
    const extra = resolveServerConfig({ clusterID: 'c', server: { dynamicfilepath: '/x.json' } }, {}, {});
    expect(extra.problems).toEqual([
      'server.dynamicfilepath: dynamicfile is not set in backend-mode but dynamicfilepath is set',
    ]);
    expect(resolveServerConfig({ clusterID: 'c' }, { 'backend-mode': [] }, {}).problems).toEqual([
      'server.backendMode: at least one backend-mode must be specified',
    ]);
    // A dynamic backend mode file may switch DynamicFile on later, so its path may be set ahead.
    const ahead = resolveServerConfig(
      { clusterID: 'c', server: { dynamicfilepath: '/x.json', dynamicBackendModePath: '/modes.json' } },
      {},
      {},
    );
    expect(ahead.problems).toEqual([]);
    expect(ahead.config).toMatchObject({ dynamicFilePath: '/x.json', dynamicBackendModePath: '/modes.json' });
  });

  it('parses feature gates from a flag string and from a file map', () => {
    expect(
      resolveServerConfig(
        { clusterID: 'c' },
        { 'feature-gates': 'SSORoleMatch=true,ConfiguredInitDirectories=false' },
        {},
      ).config?.featureGates,
    ).toEqual({ SSORoleMatch: true, ConfiguredInitDirectories: false });
    expect(
      resolveServerConfig({ clusterID: 'c', featureGates: { SSORoleMatch: false } }, {}, {}).config
        ?.featureGates,
    ).toEqual({ SSORoleMatch: false });
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['60s', 60],
    ['1m30s', 90],
    ['500ms', 0.5],
    ['45', 45],
    [30, 30],
  ] as const)('%s → %s', (input, seconds) => {
    expect(parseDurationSeconds(input)).toBe(seconds);
  });
  it.each(['', 'soon', '10x', '-5', '1m zz'])('rejects %j', (input) => {
    expect(parseDurationSeconds(input)).toBeUndefined();
  });
});
