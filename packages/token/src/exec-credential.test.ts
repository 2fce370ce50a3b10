import {
  EXEC_API_V1,
  EXEC_API_V1ALPHA1,
  EXEC_API_V1BETA1,
  formatExecCredential,
  formatExpirationTimestamp,
  negotiateExecApiVersion,
} from './exec-credential.js';
import { reasonOf } from './reason-of.test-support.js';

const info = (apiVersion: string, interactive?: boolean): string =>
  JSON.stringify({
    kind: 'ExecCredential',
    apiVersion,
    spec: interactive === undefined ? {} : { interactive },
  });

describe('exec API version constants', () => {
  it('are the client.authentication.k8s.io versions', () => {
    expect([EXEC_API_V1, EXEC_API_V1BETA1, EXEC_API_V1ALPHA1]).toEqual([
      'client.authentication.k8s.io/v1',
      'client.authentication.k8s.io/v1beta1',
      'client.authentication.k8s.io/v1alpha1',
    ]);
  });
});

describe('negotiateExecApiVersion', () => {
  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['blank', '  \n'],
  ])('answers v1beta1 silently when KUBERNETES_EXEC_INFO is %s', (_name, value) => {
    expect(negotiateExecApiVersion(value)).toEqual({ apiVersion: EXEC_API_V1BETA1, interactive: false });
  });

  it.each([
    ['invalid JSON', '{"apiVersion":'],
    ['a JSON string', '"client.authentication.k8s.io/v1"'],
    ['JSON null', 'null'],
    ['a JSON array', '[]'],
  ])('answers v1beta1 with a warning for %s', (_name, value) => {
    const result = negotiateExecApiVersion(value);
    expect(result.apiVersion).toBe(EXEC_API_V1BETA1);
    expect(result.interactive).toBe(false);
    expect(result.warning).toBe(
      'KUBERNETES_EXEC_INFO is not a JSON object, answering with client.authentication.k8s.io/v1beta1; this is likely a bug in the kubernetes client',
    );
  });

  it('answers v1 as asked (what client-go sends)', () => {
    const sent =
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';
    expect(negotiateExecApiVersion(sent)).toEqual({ apiVersion: EXEC_API_V1, interactive: false });
  });

  it('answers v1beta1 as asked', () => {
    expect(negotiateExecApiVersion(info(EXEC_API_V1BETA1, false))).toEqual({
      apiVersion: EXEC_API_V1BETA1,
      interactive: false,
    });
  });

  it('answers v1alpha1 with a deprecation warning', () => {
    expect(negotiateExecApiVersion(info(EXEC_API_V1ALPHA1))).toEqual({
      apiVersion: EXEC_API_V1ALPHA1,
      interactive: false,
      warning:
        'the kubeconfig user entry uses the deprecated client.authentication.k8s.io/v1alpha1; set client.authentication.k8s.io/v1beta1 or client.authentication.k8s.io/v1 in its exec section',
    });
  });

  it.each([
    [info(EXEC_API_V1, true), EXEC_API_V1, true],
    [info(EXEC_API_V1BETA1, true), EXEC_API_V1BETA1, true],
    [info(EXEC_API_V1, false), EXEC_API_V1, false],
    [info(EXEC_API_V1), EXEC_API_V1, false],
    ['{"apiVersion":"client.authentication.k8s.io/v1"}', EXEC_API_V1, false],
    ['{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":"true"}}', EXEC_API_V1, false],
    ['{"apiVersion":"client.authentication.k8s.io/v1","spec":null}', EXEC_API_V1, false],
  ])('reads spec.interactive from %s', (value, apiVersion, interactive) => {
    expect(negotiateExecApiVersion(value)).toEqual({ apiVersion, interactive });
  });

  it('reads the version even with provideClusterInfo (where the reference fell back to v1beta1)', () => {
    const sent = JSON.stringify({
      kind: 'ExecCredential',
      apiVersion: EXEC_API_V1,
      spec: {
        cluster: {
          server: 'https://127.0.0.1:6443',
          'certificate-authority-data': 'LS0t',
          config: { arbitrary: ['extension'] },
        },
        interactive: true,
      },
    });
    expect(negotiateExecApiVersion(sent)).toEqual({ apiVersion: EXEC_API_V1, interactive: true });
  });

  it.each(['{"kind":"ExecCredential","spec":{"interactive":true}}', '{"apiVersion":""}', '{"apiVersion":7}'])(
    'answers v1beta1 with a warning when %s names no apiVersion',
    (value) => {
      const result = negotiateExecApiVersion(value);
      expect(result.apiVersion).toBe(EXEC_API_V1BETA1);
      expect(result.warning).toBe(
        'KUBERNETES_EXEC_INFO names no apiVersion, answering with client.authentication.k8s.io/v1beta1',
      );
    },
  );

  it.each([
    'client.authentication.k8s.io/v2',
    'junk',
    'CLIENT.AUTHENTICATION.K8S.IO/V1',
    'authentication.k8s.io/v1',
  ])('refuses the unknown apiVersion %j with a usage error', (apiVersion) => {
    expect(reasonOf(() => negotiateExecApiVersion(info(apiVersion)))).toBe('usage_error');
  });

  it('says which version was asked for and which are known', () => {
    expect(() => negotiateExecApiVersion(info('junk'))).toThrow(
      'KUBERNETES_EXEC_INFO asks for apiVersion "junk", expected client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1',
    );
  });
});

describe('formatExpirationTimestamp', () => {
  it.each([
    ['2023-04-28T00:14:00.000Z', '2023-04-28T00:14:00Z'],
    ['2023-04-28T00:14:00.999Z', '2023-04-28T00:14:00Z'],
    ['2023-12-31T23:59:59.500Z', '2023-12-31T23:59:59Z'],
    ['2024-02-29T12:00:01.001Z', '2024-02-29T12:00:01Z'],
  ])('formats %s as %s (fractions dropped, not rounded)', (iso, expected) => {
    expect(formatExpirationTimestamp(new Date(iso))).toBe(expected);
  });

  it('writes UTC whatever the offset the date was built with', () => {
    expect(formatExpirationTimestamp(new Date('2023-04-28T02:14:00+02:00'))).toBe('2023-04-28T00:14:00Z');
  });

  it.each([
    ['an invalid date', new Date(Number.NaN)],
    ['a year past 9999', new Date('+010000-01-01T00:00:00Z')],
  ])('refuses %s', (_name, date) => {
    expect(reasonOf(() => formatExpirationTimestamp(date))).toBe('internal_error');
  });
});

describe('formatExecCredential', () => {
  it('prints the reference shape for the test vector', () => {
    const out = formatExecCredential({
      apiVersion: EXEC_API_V1BETA1,
      token: 'k8s-aws-v1.abc',
      expiration: new Date('2023-04-28T00:14:00.000Z'),
    });
    expect(out).toBe(
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false},"status":{"expirationTimestamp":"2023-04-28T00:14:00Z","token":"k8s-aws-v1.abc"}}\n',
    );
  });

  it('answers v1 with interactive false whatever was asked (as the reference) and drops fractional seconds', () => {
    const out = formatExecCredential({
      apiVersion: EXEC_API_V1,
      token: 'k8s-aws-v1.xyz',
      expiration: new Date('2023-04-28T00:14:00.750Z'),
    });
    expect(out).toBe(
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false},"status":{"expirationTimestamp":"2023-04-28T00:14:00Z","token":"k8s-aws-v1.xyz"}}\n',
    );
  });

  it('is one line of JSON that round-trips', () => {
    const out = formatExecCredential({
      apiVersion: EXEC_API_V1,
      token: 'k8s-aws-v1.t',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
    expect(out.split('\n')).toEqual([expect.any(String), '']);
    expect(JSON.parse(out)).toEqual({
      kind: 'ExecCredential',
      apiVersion: EXEC_API_V1,
      spec: { interactive: false },
      status: { expirationTimestamp: '2030-01-01T00:00:00Z', token: 'k8s-aws-v1.t' },
    });
  });
});
