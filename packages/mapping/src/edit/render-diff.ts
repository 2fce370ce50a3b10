import { createTwoFilesPatch } from 'diff';
import type { AwsAuthData } from './plan-edit.js';

/** A unified diff of the changed `.data` keys (what `--dry-run` prints). Empty when nothing changed. */
export function renderDataDiff(before: AwsAuthData, after: AwsAuthData, name = 'aws-auth'): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const parts: string[] = [];
  for (const key of keys) {
    const old = before[key];
    const next = after[key];
    if (old === next) continue;
    parts.push(
      createTwoFilesPatch(
        old === undefined ? '/dev/null' : `a/${name}/data/${key}`,
        next === undefined ? '/dev/null' : `b/${name}/data/${key}`,
        old ?? '',
        next ?? '',
        undefined,
        undefined,
        { context: 3 },
      ),
    );
  }
  return parts.join('');
}
