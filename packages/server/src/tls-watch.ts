import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Calls `onChange` (debounced) when any of `files` changes. Watches the parent directories, not the files,
 * so replacements by rename (how cert-manager and kubelet update secrets) are seen too.
 */
export function watchFiles(files: readonly string[], onChange: () => void, debounceMs = 200): () => void {
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const full = resolve(file);
    const dir = dirname(full);
    const names = byDir.get(dir) ?? new Set<string>();
    names.add(basename(full));
    byDir.set(dir, names);
  }
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, filename) => {
        // Kubernetes secret volumes swap a `..data` symlink: treat any change without a known name as relevant.
        if (filename !== null && !names.has(filename) && !filename.startsWith('..')) return;
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(onChange, debounceMs);
        timer.unref();
      });
      watcher.on('error', () => {
        /* a vanished directory stops reloads, never the server */
      });
      watchers.push(watcher);
    } catch {
      /* unwatchable directory: reloads stay manual */
    }
  }
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
