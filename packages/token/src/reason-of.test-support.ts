import { AuthError } from '@iam-authenticator/core';

/** Test support: the AuthError reason `fn` throws, 'no error' when it returns; other errors propagate. */
export function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AuthError) return error.reason;
    throw error;
  }
  return 'no error';
}

/** The same for a promise. */
export async function reasonOfAsync(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error.reason;
    throw error;
  }
  return 'no error';
}
