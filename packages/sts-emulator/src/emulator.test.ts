import type { Logger } from '@iam-authenticator/core';
import type { IdentitiesFile } from './identities.js';
import type { StsEmulator } from './emulator.js';
import { startStsEmulator } from './emulator.js';

// Reference vector (token-and-webhook.md §1.2): signed at 2023-04-28T00:00:00Z for cluster "test-cluster".
const VECTOR_PATH_QUERY =
  '/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAR2TG44V6AS3ZZE7C%2F20230428%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20230428T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce';
const SIGNED_AT = Date.parse('2023-04-28T00:00:00Z');
const VECTOR_USER = {
  accessKeyId: 'ASIAR2TG44V6AS3ZZE7C',
  secretAccessKey: '4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q',
  arn: 'arn:aws:iam::111122223333:user/vector',
  userId: 'AIDAVECTOR',
};
const IDENTITIES: IdentitiesFile = { users: [VECTOR_USER], roles: [], instances: [] };

const started: StsEmulator[] = [];
async function start(identities = IDENTITIES, nowMs = SIGNED_AT + 5 * 60_000): Promise<StsEmulator> {
  const emulator = await startStsEmulator({ identities, now: () => new Date(nowMs) });
  started.push(emulator);
  return emulator;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

async function call(
  emulator: StsEmulator,
  pathQuery = VECTOR_PATH_QUERY,
  headers: Record<string, string> = { 'x-k8s-aws-id': 'test-cluster', accept: 'application/json' },
): Promise<{ status: number; body: string; json: () => unknown }> {
  const response = await fetch(emulator.url + pathQuery, { headers });
  const body = await response.text();
  return { status: response.status, body, json: () => JSON.parse(body) as unknown };
}

function errorOf(result: { json: () => unknown }): { Code: string; Message: string; Type: string } {
  const parsed = result.json() as {
    Error: { Code: string; Message: string; Type: string };
    RequestId: string;
  };
  expect(Object.keys(parsed)).toEqual(['Error', 'RequestId']);
  expect(parsed.RequestId).toMatch(/^[0-9a-f-]{36}$/);
  return parsed.Error;
}

describe('sts emulator (reference vector, no AWS SDK)', () => {
  it('accepts the reference token and answers JSON when asked', async () => {
    const emulator = await start();
    const result = await call(emulator);
    expect(result.status).toBe(200);
    const parsed = result.json() as { GetCallerIdentityResponse: { GetCallerIdentityResult: unknown } };
    expect(parsed.GetCallerIdentityResponse.GetCallerIdentityResult).toEqual({
      Account: '111122223333',
      Arn: 'arn:aws:iam::111122223333:user/vector',
      UserId: 'AIDAVECTOR',
    });
    expect(emulator.counts()).toMatchObject({ GetCallerIdentity: 1, rejected: 0 });
  });

  it('answers XML by default', async () => {
    const emulator = await start();
    const result = await call(emulator, VECTOR_PATH_QUERY, { 'x-k8s-aws-id': 'test-cluster' });
    expect(result.status).toBe(200);
    expect(result.body).toContain(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
    );
    expect(result.body).toContain('<Arn>arn:aws:iam::111122223333:user/vector</Arn>');
    expect(result.body).toContain('<Account>111122223333</Account>');
  });

  it('rejects a tampered signature', async () => {
    const emulator = await start();
    const result = await call(emulator, VECTOR_PATH_QUERY.replace(/5ce$/, '5cf'));
    expect(result.status).toBe(403);
    expect(errorOf(result)).toMatchObject({ Code: 'SignatureDoesNotMatch', Type: 'Sender' });
    expect(emulator.counts()).toMatchObject({ GetCallerIdentity: 1, rejected: 1 });
  });

  it('rejects another cluster id', async () => {
    const emulator = await start();
    const result = await call(emulator, VECTOR_PATH_QUERY, {
      'x-k8s-aws-id': 'other-cluster',
      accept: 'application/json',
    });
    expect(result.status).toBe(403);
    expect(errorOf(result).Code).toBe('SignatureDoesNotMatch');
  });

  it('rejects a token signed with another secret', async () => {
    const emulator = await start({
      ...IDENTITIES,
      users: [{ ...VECTOR_USER, secretAccessKey: 'another-secret' }],
    });
    expect(errorOf(await call(emulator)).Code).toBe('SignatureDoesNotMatch');
  });

  it('rejects an unknown access key', async () => {
    const emulator = await start({
      ...IDENTITIES,
      users: [{ ...VECTOR_USER, accessKeyId: 'AKIAOTHERKEY00000001' }],
    });
    const result = await call(emulator);
    expect(result.status).toBe(403);
    expect(errorOf(result)).toEqual({
      Code: 'InvalidClientTokenId',
      Message: 'The security token included in the request is invalid.',
      Type: 'Sender',
    });
  });

  it('accepts exactly 15 minutes after X-Amz-Date and rejects one second later', async () => {
    expect((await call(await start(IDENTITIES, SIGNED_AT + 15 * 60_000))).status).toBe(200);
    const late = await call(await start(IDENTITIES, SIGNED_AT + 15 * 60_000 + 1000));
    expect(late.status).toBe(403);
    expect(errorOf(late)).toEqual({
      Code: 'SignatureDoesNotMatch',
      Message:
        'Signature expired: 20230428T000000Z is now earlier than 20230428T000001Z (20230428T001501Z - 15 min.)',
      Type: 'Sender',
    });
  });

  it('rejects a date more than 15 minutes ahead of its clock', async () => {
    const early = await call(await start(IDENTITIES, SIGNED_AT - 15 * 60_000 - 1000));
    expect(early.status).toBe(403);
    expect(errorOf(early).Message).toBe(
      'Signature not yet current: 20230428T000000Z is still later than 20230427T235959Z (20230427T234459Z + 15 min.)',
    );
  });

  it('follows setNow', async () => {
    const emulator = await start();
    emulator.setNow(() => new Date(SIGNED_AT + 16 * 60_000));
    expect((await call(emulator)).status).toBe(403);
    emulator.setNow(() => new Date(SIGNED_AT));
    expect((await call(emulator)).status).toBe(200);
  });

  it('answers XML errors in the real STS shape', async () => {
    const emulator = await start();
    const result = await call(emulator, VECTOR_PATH_QUERY.replace(/5ce$/, '5cf'), {
      'x-k8s-aws-id': 'test-cluster',
    });
    expect(result.body).toMatch(
      /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\n<Error><Type>Sender<\/Type><Code>SignatureDoesNotMatch<\/Code><Message>The request signature we calculated does not match[^<]*<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId>\n<\/ErrorResponse>\n$/,
    );
  });

  it('rejects an unsigned request and an unknown action', async () => {
    const emulator = await start();
    const unsigned = await call(emulator, '/?Action=GetCallerIdentity&Version=2011-06-15');
    expect(unsigned.status).toBe(403);
    expect(errorOf(unsigned).Code).toBe('MissingAuthenticationToken');
    const unknown = await call(emulator, '/?Action=GetSessionToken&Version=2011-06-15');
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown)).toMatchObject({
      Code: 'InvalidAction',
      Message: 'Could not find operation GetSessionToken for version 2011-06-15',
    });
    const badEscape = await call(emulator, '/?Action=GetCallerIdentity&X=%zz');
    expect(errorOf(badEscape).Code).toBe('MalformedQueryString');
    expect(emulator.counts()).toMatchObject({ GetCallerIdentity: 1, rejected: 3 });
  });

  it('rejects a signature scoped to another date than X-Amz-Date', async () => {
    const emulator = await start();
    const result = await call(emulator, VECTOR_PATH_QUERY.replace('%2F20230428%2F', '%2F20230427%2F'));
    expect(errorOf(result).Message).toBe(
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20230427' != '20230428', from '20230428T000000Z'.",
    );
  });

  it('rejects a presigned URL for another service', async () => {
    const emulator = await start();
    const result = await call(emulator, VECTOR_PATH_QUERY.replace('%2Fsts%2F', '%2Fec2%2F'));
    expect(errorOf(result)).toMatchObject({
      Code: 'SignatureDoesNotMatch',
      Message: "Credential should be scoped to correct service: 'sts'. ",
    });
  });
});

describe('sts emulator logs', () => {
  it('never logs a signature', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: (fields, msg) => lines.push(JSON.stringify({ ...fields, msg })),
      info: (fields, msg) => lines.push(JSON.stringify({ ...fields, msg })),
      warn: (fields, msg) => lines.push(JSON.stringify({ ...fields, msg })),
      error: (fields, msg) => lines.push(JSON.stringify({ ...fields, msg })),
      child: () => logger,
    };
    const emulator = await startStsEmulator({
      identities: IDENTITIES,
      now: () => new Date(SIGNED_AT),
      logger,
    });
    started.push(emulator);
    expect((await call(emulator)).status).toBe(200);
    expect((await call(emulator, VECTOR_PATH_QUERY.replace(/5ce$/, '5cf'))).status).toBe(403);
    expect(lines.some((line) => line.includes('SignatureDoesNotMatch'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/e211dba7|X-Amz-Signature|X-Amz-Credential/);
  });
});

describe('sts emulator faults and counts', () => {
  it('throttles, fails and drops the next requests, then recovers', async () => {
    const emulator = await start();
    emulator.injectFaults({ count: 1, kind: 'throttle' });
    emulator.injectFaults({ count: 1, kind: 'http500', action: 'GetCallerIdentity' });
    emulator.injectFaults({ count: 1, kind: 'drop' });
    const throttled = await call(emulator);
    expect(throttled.status).toBe(400);
    expect(throttled.body).toContain('Throttling');
    expect(errorOf(throttled)).toEqual({ Code: 'Throttling', Message: 'Rate exceeded', Type: 'Sender' });
    const failed = await call(emulator);
    expect(failed.status).toBe(500);
    expect(errorOf(failed)).toMatchObject({ Code: 'InternalFailure', Type: 'Receiver' });
    await expect(call(emulator)).rejects.toThrow();
    expect((await call(emulator)).status).toBe(200);
    expect(emulator.counts()).toMatchObject({ GetCallerIdentity: 4, faulted: 3, rejected: 0 });
    emulator.resetCounts();
    expect(emulator.counts()).toEqual({
      GetCallerIdentity: 0,
      AssumeRole: 0,
      DescribeInstances: 0,
      rejected: 0,
      faulted: 0,
    });
  });

  it('delays an answer by latencyMs', async () => {
    const emulator = await start();
    emulator.injectFaults({ count: 1, kind: 'latency', latencyMs: 300 });
    const began = performance.now();
    expect((await call(emulator)).status).toBe(200);
    expect(performance.now() - began).toBeGreaterThanOrEqual(290);
  });

  it('only applies an action-bound fault to that action', async () => {
    const emulator = await start();
    emulator.injectFaults({ count: 1, kind: 'http500', action: 'AssumeRole' });
    expect((await call(emulator)).status).toBe(200);
    emulator.clearFaults();
  });

  it('rejects an invalid fault', async () => {
    const emulator = await start();
    expect(() => {
      emulator.injectFaults({ count: 0, kind: 'drop' });
    }).toThrow('count: expected an integer >= 1');
  });
});

describe('sts emulator control API', () => {
  async function control(
    emulator: StsEmulator,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Response> {
    return fetch(`${emulator.url}/_emulator/${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  }

  it('reports and resets counts', async () => {
    const emulator = await start();
    await call(emulator);
    const counts = await control(emulator, 'GET', 'counts');
    expect(await counts.json()).toEqual({
      GetCallerIdentity: 1,
      AssumeRole: 0,
      DescribeInstances: 0,
      rejected: 0,
      faulted: 0,
    });
    expect((await control(emulator, 'POST', 'counts/reset')).status).toBe(204);
    expect(emulator.counts()['GetCallerIdentity']).toBe(0);
  });

  it('injects and clears faults', async () => {
    const emulator = await start();
    expect((await control(emulator, 'POST', 'faults', { count: 2, kind: 'throttle' })).status).toBe(204);
    expect((await call(emulator)).status).toBe(400);
    expect((await control(emulator, 'DELETE', 'faults')).status).toBe(204);
    expect((await call(emulator)).status).toBe(200);
  });

  it('explains a bad fault or clock', async () => {
    const emulator = await start();
    const bad = await control(emulator, 'POST', 'faults', { count: 1, kind: 'boom' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('kind: expected one of');
    const badClock = await control(emulator, 'POST', 'clock', { now: 'yesterday' });
    expect(badClock.status).toBe(400);
    expect(((await badClock.json()) as { error: string }).error).toContain('clock: expected');
    const notJson = await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect((await control(emulator, 'GET', 'nope')).status).toBe(404);
  });

  it('sets, shifts and resets the clock', async () => {
    const emulator = await start();
    await control(emulator, 'POST', 'clock', { now: new Date(SIGNED_AT + 20 * 60_000).toISOString() });
    expect((await call(emulator)).status).toBe(403);
    await control(emulator, 'POST', 'clock', { now: null });
    expect((await call(emulator)).status).toBe(200);
    await control(emulator, 'POST', 'clock', { offsetMs: SIGNED_AT - Date.now() });
    expect((await call(emulator)).status).toBe(200);
  });

  it('has no AssumeRole call to report yet', async () => {
    const emulator = await start();
    expect((await control(emulator, 'GET', 'last-assume-role')).status).toBe(404);
    expect(emulator.lastAssumeRole()).toBeUndefined();
    expect(emulator.lastCaller('AssumeRole')).toBeUndefined();
    expect(await (await control(emulator, 'GET', 'healthz')).json()).toEqual({ ok: true });
  });
});
