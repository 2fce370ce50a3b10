import { AuthError, quote } from '@iam-authenticator/core';

export const EMULATED_ACTIONS = ['GetCallerIdentity', 'AssumeRole', 'DescribeInstances'] as const;
export type EmulatedAction = (typeof EMULATED_ACTIONS)[number];

export type FaultKind = 'latency' | 'http500' | 'throttle' | 'drop';

/** A fault for the next `count` matching requests (all actions when `action` is absent). */
export interface FaultSpec {
  readonly count: number;
  readonly kind: FaultKind;
  /** Only for `latency`: delay before the normal answer (default 1000 ms). */
  readonly latencyMs?: number;
  readonly action?: string;
}

interface PendingFault {
  remaining: number;
  readonly kind: FaultKind;
  readonly latencyMs: number;
  readonly action: string | undefined;
}

const KINDS: readonly string[] = ['latency', 'http500', 'throttle', 'drop'];

/** Validates a fault from an untyped source (the HTTP control API) or from code. */
export function parseFault(value: unknown): FaultSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AuthError('usage_error', `fault: expected an object, received ${quote(value)}`);
  }
  const raw = value as Record<string, unknown>;
  const problems: string[] = [];
  const { count, kind, latencyMs, action } = raw;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    problems.push(`count: expected an integer >= 1, received ${quote(count)}`);
  }
  if (typeof kind !== 'string' || !KINDS.includes(kind)) {
    problems.push(`kind: expected one of ${KINDS.join(', ')}, received ${quote(kind)}`);
  }
  if (
    latencyMs !== undefined &&
    (typeof latencyMs !== 'number' || !(latencyMs >= 0) || latencyMs > 600_000)
  ) {
    problems.push(`latencyMs: expected a number of milliseconds in 0..600000, received ${quote(latencyMs)}`);
  }
  if (
    action !== undefined &&
    (typeof action !== 'string' || !(EMULATED_ACTIONS as readonly string[]).includes(action))
  ) {
    problems.push(`action: expected one of ${EMULATED_ACTIONS.join(', ')}, received ${quote(action)}`);
  }
  for (const key of Object.keys(raw)) {
    if (!['count', 'kind', 'latencyMs', 'action'].includes(key)) problems.push(`${key}: unknown key`);
  }
  if (problems.length > 0) throw new AuthError('usage_error', `invalid fault: ${problems.join('; ')}`);
  return {
    count: count as number,
    kind: kind as FaultKind,
    ...(typeof latencyMs === 'number' ? { latencyMs } : {}),
    ...(typeof action === 'string' ? { action } : {}),
  };
}

/** Faults are consumed first in, first out; each matching request takes one from the first match. */
export class FaultQueue {
  #pending: PendingFault[] = [];

  add(spec: FaultSpec): void {
    const fault = parseFault(spec);
    this.#pending.push({
      remaining: fault.count,
      kind: fault.kind,
      latencyMs: fault.latencyMs ?? 1000,
      action: fault.action,
    });
  }

  clear(): void {
    this.#pending = [];
  }

  /** The fault to apply to a request for `action`, if any (its count is used up by one). */
  take(action: string): { kind: FaultKind; latencyMs: number } | undefined {
    const fault = this.#pending.find(
      (f) => f.remaining > 0 && (f.action === undefined || f.action === action),
    );
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    this.#pending = this.#pending.filter((f) => f.remaining > 0);
    return { kind: fault.kind, latencyMs: fault.latencyMs };
  }

  pending(): number {
    return this.#pending.reduce((sum, f) => sum + f.remaining, 0);
  }
}
