import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServingCert } from './kube-api-server-cert.js';
import { PatchError, isObject, jsonPatch, mergePatch } from './kube-api-server-patch.js';
import type { Json } from './kube-api-server-patch.js';
import {
  CONFIGMAPS,
  IAM_IDENTITY_MAPPINGS,
  RESOURCES,
  apiVersionOf,
  qualifiedResource,
} from './kube-api-server-resources.js';
import type { FieldCause, KubeObject, ResourceDef } from './kube-api-server-resources.js';

export type { KubeObject } from './kube-api-server-resources.js';

export interface KubeApiServerOptions {
  /** Port on 127.0.0.1; default 0 (any free port). */
  readonly port?: number;
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK; default 1000 ms. */
  readonly bookmarkIntervalMs?: number;
  /**
   * Optional bearer-token check (e.g. a TokenReview against the webhook under test). Absent: every request is
   * accepted, with or without a token. Returning false answers 401 Unauthorized.
   */
  readonly authenticate?: (bearerToken: string | undefined) => Promise<boolean>;
}

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: string;
  readonly userAgent: string;
  /** Whether an Authorization header was sent (its value is never recorded). */
  readonly authorization: boolean;
  readonly contentType: string;
  readonly watch: boolean;
  /** HTTP status answered (200 for a watch that started). */
  status: number;
}

export interface InjectedFailure {
  /** HTTP status to answer; default 503. */
  readonly status?: number;
  /** How many matching requests fail; default 1. */
  readonly count?: number;
  readonly method?: string;
  /** Matches the path (without query). */
  readonly path?: RegExp;
  /** Only watches (true) or only non-watches (false); default both. */
  readonly watch?: boolean;
}

export interface KubeconfigOptions {
  readonly token?: string;
  readonly exec?: {
    readonly command: string;
    readonly args?: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
    /** Default `client.authentication.k8s.io/v1beta1`. */
    readonly apiVersion?: string;
  };
  /** Default namespace of the context. */
  readonly namespace?: string;
}

export interface KubeApiTestServer {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** PEM of the CA that signed the serving certificate. */
  readonly caPem: string;
  /**
   * A kubeconfig YAML for this server (cluster, user and context all named `test`, trusting `caPem`). The user
   * sends `token` (default `kube-api-test-server`: kubectl prompts for a password when a user has no credentials),
   * or runs `exec` as a client-go credential plugin (e.g. our `token -i CLUSTER`).
   */
  kubeconfig(options?: KubeconfigOptions): string;
  /** Every request so far, oldest first (a copy). */
  requests(): RecordedRequest[];
  clearRequests(): void;
  /** Ends every open watch (graceful end of the stream; `abrupt` destroys the sockets instead). */
  dropWatches(options?: { abrupt?: boolean }): number;
  /** Forgets the event history: a watch or exact list from an older resourceVersion gets 410 Gone. */
  compact(): void;
  /** Sends a BOOKMARK to every watch that asked for bookmarks. */
  sendBookmarks(): void;
  /** Number of open watches (optionally of one resource plural). */
  watchCount(plural?: string): number;
  /** Resolves once at least `count` watches of `plural` are open (polls every 10 ms; rejects after timeoutMs). */
  waitForWatches(count: number, options?: { plural?: string; timeoutMs?: number }): Promise<void>;
  /** Fails the next matching requests with a Status of the given code. */
  failRequests(failure: InjectedFailure): void;
  /** The current (latest) resourceVersion. */
  resourceVersion(): string;
  /** Creates or replaces a ConfigMap directly (emits ADDED or MODIFIED). Returns the stored object. */
  setConfigMap(
    namespace: string,
    name: string,
    data: Record<string, string>,
    options?: { immutable?: boolean; labels?: Record<string, string>; annotations?: Record<string, string> },
  ): KubeObject;
  getConfigMap(namespace: string, name: string): KubeObject | undefined;
  /** Deletes directly (emits DELETED). Returns whether it existed. */
  deleteConfigMap(namespace: string, name: string): boolean;
  /** Creates or replaces an IAMIdentityMapping (spec only; status kept). */
  setIdentityMapping(name: string, spec: { arn: string; username: string; groups?: string[] }): KubeObject;
  getIdentityMapping(name: string): KubeObject | undefined;
  deleteIdentityMapping(name: string): boolean;
  close(): Promise<void>;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface HistoryEvent {
  readonly rv: number;
  readonly def: ResourceDef;
  readonly type: EventType;
  readonly object: KubeObject;
  readonly old: KubeObject | undefined;
}

interface Watcher {
  readonly def: ResourceDef;
  readonly namespace: string | undefined;
  readonly matches: (obj: KubeObject) => boolean;
  readonly res: ServerResponse;
  readonly bookmarks: boolean;
  readonly timers: NodeJS.Timeout[];
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string; causes?: readonly FieldCause[] },
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const KUBE_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-iam-authenticator-test',
  platform: 'linux/amd64',
};

function objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return `${def.plural}.${def.group}/${namespace ?? ''}/${name}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function textOf(value: Json | undefined): string {
  return typeof value === 'string' ? value : '';
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseSelector(text: string | null, kind: 'field' | 'label'): (obj: KubeObject) => boolean {
  if (text === null || text.trim() === '') return () => true;
  const tests: ((obj: KubeObject) => boolean)[] = [];
  // Split on commas that are not inside parentheses (label `in (a,b)`).
  const parts = text.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  for (const raw of parts) {
    const part = raw.trim();
    const lookup =
      kind === 'field'
        ? (field: string, obj: KubeObject): string | undefined => {
            if (field === 'metadata.name')
              return typeof obj.metadata['name'] === 'string' ? obj.metadata['name'] : '';
            if (field === 'metadata.namespace') {
              return typeof obj.metadata['namespace'] === 'string' ? obj.metadata['namespace'] : '';
            }
            throw new ApiError(400, 'BadRequest', `field label not supported: ${field}`);
          }
        : (field: string, obj: KubeObject): string | undefined => {
            const labels = obj.metadata['labels'];
            if (!isObject(labels)) return undefined;
            const value = labels[field];
            return typeof value === 'string' ? value : undefined;
          };
    const setMatch = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    const opMatch = /^([^\s!=]+)\s*(==|!=|=)\s*(.*)$/.exec(part);
    if (setMatch !== null && kind === 'label') {
      const [, key = '', op, list = ''] = setMatch;
      const values = list.split(',').map((v) => v.trim());
      tests.push((obj) => {
        const value = lookup(key, obj);
        return op === 'in'
          ? value !== undefined && values.includes(value)
          : value === undefined || !values.includes(value);
      });
    } else if (opMatch !== null) {
      const [, key = '', op, value = ''] = opMatch;
      lookup(key, { metadata: {} });
      tests.push((obj) => (op === '!=' ? lookup(key, obj) !== value : lookup(key, obj) === value));
    } else if (kind === 'label' && /^!?[^\s!=]+$/.test(part)) {
      const negate = part.startsWith('!');
      const key = negate ? part.slice(1) : part;
      tests.push((obj) => (lookup(key, obj) !== undefined) !== negate);
    } else {
      throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${JSON.stringify(part)}`);
    }
  }
  return (obj) => tests.every((test) => test(obj));
}

function statusBody(error: ApiError, def?: ResourceDef): Json {
  const details: { [key: string]: Json } = {};
  if (error.details?.name !== undefined) details['name'] = error.details.name;
  if (error.details?.group !== undefined) details['group'] = error.details.group;
  else if (def !== undefined && def.group !== '') details['group'] = def.group;
  if (error.details?.kind !== undefined) details['kind'] = error.details.kind;
  if (error.details?.causes !== undefined) {
    details['causes'] = error.details.causes.map((c) => ({
      reason: c.reason,
      message: c.message,
      field: c.field,
    }));
  }
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.reason,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    code: error.code,
  };
}

function send(res: ServerResponse, code: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'request entity too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new ApiError(
      400,
      'BadRequest',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${(error as Error).message})`,
    );
  }
}

function isProtobuf(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').includes('protobuf');
}

/** client-go falls back to JSON when a protobuf body gets 415 (kubectl create configmap sends protobuf). */
function unsupportedProtobuf(): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
  );
}

function notFound(def: ResourceDef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(def)} "${name}" not found`, {
    name,
    kind: def.plural,
  });
}

function invalid(def: ResourceDef, name: string, causes: readonly FieldCause[]): ApiError {
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const kindName = def.group === '' ? def.kind : `${def.kind}.${def.group}`;
  return new ApiError(
    422,
    'Invalid',
    `${kindName} "${name}" is invalid: ${causes.length > 1 ? `[${summary}]` : summary}`,
    {
      name,
      kind: def.kind,
      causes,
    },
  );
}

/** The parts of a request path that name a resource. */
interface Target {
  readonly def: ResourceDef;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

function matchTarget(segments: readonly string[]): Target | undefined {
  let rest: readonly string[];
  let group: string;
  if (segments[0] === 'api' && segments[1] === 'v1') {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    group = segments[1] ?? '';
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  const version = segments[0] === 'api' ? 'v1' : segments[2];
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const def = RESOURCES.find((d) => d.group === group && d.version === version && d.plural === rest[0]);
  if (def === undefined || rest.length > 3) return undefined;
  if (def.namespaced !== (namespace !== undefined) && !(def.namespaced && rest.length === 1))
    return undefined;
  return { def, namespace, name: rest[1], subresource: rest[2] };
}

/** Starts a loopback HTTPS server that speaks enough of the Kubernetes REST API for ConfigMaps and IAMIdentityMappings. */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiTestServer> {
  const cert = await createServingCert();
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 1000;
  const objects = new Map<string, KubeObject>();
  const history: HistoryEvent[] = [];
  const watchers = new Set<Watcher>();
  const log: RecordedRequest[] = [];
  const failures: { failure: InjectedFailure; left: number }[] = [];
  let revision = 100;
  let compactedRevision = revision;

  function storedList(def: ResourceDef, namespace: string | undefined): KubeObject[] {
    const prefix = `${def.plural}.${def.group}/${namespace ?? ''}`;
    return [...objects.entries()]
      .filter(([key]) =>
        namespace === undefined
          ? key.startsWith(`${def.plural}.${def.group}/`)
          : key.startsWith(`${prefix}/`),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => obj);
  }

  function writeEvent(watcher: Watcher, type: string, object: Json): void {
    if (!watcher.res.writableEnded && !watcher.res.destroyed)
      watcher.res.write(JSON.stringify({ type, object }) + '\n');
  }

  function eventFor(watcher: Watcher, event: HistoryEvent): [string, KubeObject] | undefined {
    if (watcher.def !== event.def) return undefined;
    if (watcher.namespace !== undefined && event.object.metadata['namespace'] !== watcher.namespace)
      return undefined;
    const now = watcher.matches(event.object);
    const before = event.old !== undefined && watcher.matches(event.old);
    if (event.type === 'MODIFIED') {
      if (now && before) return ['MODIFIED', event.object];
      if (now) return ['ADDED', event.object];
      if (before) return ['DELETED', event.object];
      return undefined;
    }
    return now ? [event.type, event.object] : undefined;
  }

  function commit(
    def: ResourceDef,
    type: EventType,
    object: KubeObject,
    old: KubeObject | undefined,
  ): KubeObject {
    const key = objectKey(
      def,
      typeof object.metadata['namespace'] === 'string' ? object.metadata['namespace'] : undefined,
      textOf(object.metadata['name']),
    );
    revision += 1;
    const stored = structuredClone(object);
    stored.metadata['resourceVersion'] = String(revision);
    if (type === 'DELETED') objects.delete(key);
    else objects.set(key, stored);
    const event: HistoryEvent = { rv: revision, def, type, object: stored, old };
    history.push(event);
    for (const watcher of watchers) {
      const out = eventFor(watcher, event);
      if (out !== undefined) writeEvent(watcher, out[0], out[1]);
    }
    return structuredClone(stored);
  }

  function normalise(
    def: ResourceDef,
    body: Json,
    namespace: string | undefined,
    name: string | undefined,
  ): KubeObject {
    if (!isObject(body)) throw new ApiError(400, 'BadRequest', 'the request body must be a JSON object');
    if (body['kind'] !== undefined && body['kind'] !== def.kind) {
      throw new ApiError(
        400,
        'BadRequest',
        `the body kind ${JSON.stringify(body['kind'])} does not match ${JSON.stringify(def.kind)}`,
      );
    }
    if (body['apiVersion'] !== undefined && body['apiVersion'] !== apiVersionOf(def)) {
      throw new ApiError(
        400,
        'BadRequest',
        `the body apiVersion ${JSON.stringify(body['apiVersion'])} does not match ${JSON.stringify(apiVersionOf(def))}`,
      );
    }
    const metadata = isObject(body['metadata']) ? body['metadata'] : {};
    const obj: KubeObject = {
      ...body,
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      metadata: { ...metadata },
    };
    const decodeError = def.decodeError?.(obj);
    if (decodeError !== undefined) {
      throw new ApiError(
        400,
        'BadRequest',
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${decodeError}`,
      );
    }
    if (def.namespaced) {
      const bodyNs = obj.metadata['namespace'];
      if (bodyNs !== undefined && bodyNs !== '' && bodyNs !== namespace) {
        throw new ApiError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata['namespace'] = namespace ?? 'default';
    } else {
      delete obj.metadata['namespace'];
    }
    if (name !== undefined && obj.metadata['name'] !== undefined && obj.metadata['name'] !== name) {
      throw new ApiError(
        400,
        'BadRequest',
        `the name of the object (${textOf(obj.metadata['name'])}) does not match the name on the URL (${name})`,
      );
    }
    if (name !== undefined) obj.metadata['name'] = name;
    return obj;
  }

  function validateName(def: ResourceDef, name: Json | undefined): string {
    if (typeof name !== 'string' || name === '') {
      throw invalid(def, '', [
        {
          field: 'metadata.name',
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
        },
      ]);
    }
    if (
      name.length > 253 ||
      !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)
    ) {
      throw invalid(def, name, [
        {
          field: 'metadata.name',
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
        },
      ]);
    }
    return name;
  }

  function create(def: ResourceDef, obj: KubeObject, dryRun: boolean): KubeObject {
    if (
      typeof obj.metadata['generateName'] === 'string' &&
      (obj.metadata['name'] === undefined || obj.metadata['name'] === '')
    ) {
      obj.metadata['name'] = `${obj.metadata['generateName']}${randomUUID().slice(0, 5)}`;
    }
    const name = validateName(def, obj.metadata['name']);
    const namespace = typeof obj.metadata['namespace'] === 'string' ? obj.metadata['namespace'] : undefined;
    if (objects.has(objectKey(def, namespace, name))) {
      throw new ApiError(409, 'AlreadyExists', `${qualifiedResource(def)} "${name}" already exists`, {
        name,
        kind: def.plural,
      });
    }
    const causes = def.validate?.(obj, undefined) ?? [];
    if (causes.length > 0) throw invalid(def, name, causes);
    if (def.statusSubresource) delete obj['status'];
    delete obj.metadata['resourceVersion'];
    obj.metadata['uid'] = randomUUID();
    obj.metadata['creationTimestamp'] = timestamp();
    if (def.group !== '') obj.metadata['generation'] = 1;
    if (dryRun) return obj;
    return commit(def, 'ADDED', obj, undefined);
  }

  function update(
    def: ResourceDef,
    old: KubeObject,
    next: KubeObject,
    subresource: string | undefined,
    dryRun: boolean,
  ): KubeObject {
    const name = textOf(old.metadata['name']);
    const wantedRv = next.metadata['resourceVersion'];
    if (
      wantedRv !== undefined &&
      wantedRv !== null &&
      wantedRv !== '' &&
      wantedRv !== old.metadata['resourceVersion']
    ) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, kind: def.plural },
      );
    }
    let merged: KubeObject;
    if (subresource === 'status') {
      merged = { ...structuredClone(old) };
      if (next['status'] === undefined) delete merged['status'];
      else merged['status'] = structuredClone(next['status']);
    } else {
      merged = structuredClone(next);
      if (def.statusSubresource) {
        if (old['status'] === undefined) delete merged['status'];
        else merged['status'] = structuredClone(old['status']);
      }
      // Server-owned metadata cannot be changed by a client.
      for (const field of ['uid', 'creationTimestamp', 'generation', 'namespace', 'name']) {
        const value = old.metadata[field];
        if (value === undefined) Reflect.deleteProperty(merged.metadata, field);
        else merged.metadata[field] = value;
      }
      if (def.group !== '' && JSON.stringify(next['spec']) !== JSON.stringify(old['spec'])) {
        merged.metadata['generation'] = Number(old.metadata['generation'] ?? 1) + 1;
      }
    }
    merged.metadata['resourceVersion'] = old.metadata['resourceVersion'] ?? null;
    const causes = def.validate?.(merged, old) ?? [];
    if (causes.length > 0) throw invalid(def, name, causes);
    if (canonical(merged) === canonical(old) || dryRun) return merged;
    return commit(def, 'MODIFIED', merged, old);
  }

  function remove(def: ResourceDef, old: KubeObject, dryRun: boolean): Json {
    const name = textOf(old.metadata['name']);
    const deleted = dryRun ? old : commit(def, 'DELETED', old, old);
    if (def.returnDeletedObject) return deleted;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, kind: def.plural, uid: old.metadata['uid'] ?? '' },
    };
  }

  function asTable(
    def: ResourceDef,
    items: KubeObject[],
    includeObject: string | null,
    listRv: string,
  ): Json {
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: listRv },
      columnDefinitions: def.tableColumns.map((c, i) => ({
        name: c.name,
        type: c.type,
        format: i === 0 ? 'name' : '',
        description: c.name,
        priority: 0,
      })),
      rows: items.map((item) => ({
        cells: def.tableColumns.map((c) => c.cell(item)),
        object:
          includeObject === 'Object'
            ? item
            : includeObject === 'None'
              ? null
              : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: item.metadata },
      })),
    };
  }

  function startWatch(target: Target, params: URLSearchParams, res: ServerResponse): void {
    let matches = parseSelector(params.get('fieldSelector'), 'field');
    const labels = parseSelector(params.get('labelSelector'), 'label');
    if (target.name !== undefined) {
      const byName = matches;
      matches = (obj) => obj.metadata['name'] === target.name && byName(obj);
    }
    const fieldsAndLabels = matches;
    const watcher: Watcher = {
      def: target.def,
      namespace: target.namespace,
      matches: (obj) => fieldsAndLabels(obj) && labels(obj),
      res,
      bookmarks: params.get('allowWatchBookmarks') === 'true' || params.get('allowWatchBookmarks') === '1',
      timers: [],
    };
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
    });
    res.flushHeaders();
    const rvParam = params.get('resourceVersion');
    const sendInitial = params.get('sendInitialEvents') === 'true';
    if (rvParam === null || rvParam === '' || rvParam === '0' || sendInitial) {
      for (const obj of storedList(target.def, target.namespace))
        if (watcher.matches(obj)) writeEvent(watcher, 'ADDED', obj);
      if (sendInitial) {
        writeEvent(watcher, 'BOOKMARK', {
          kind: target.def.kind,
          apiVersion: apiVersionOf(target.def),
          metadata: {
            resourceVersion: String(revision),
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        });
      }
    } else {
      const from = Number(rvParam);
      if (!Number.isInteger(from) || from < 0) {
        writeEvent(
          watcher,
          'ERROR',
          statusBody(new ApiError(400, 'BadRequest', `invalid resource version: ${JSON.stringify(rvParam)}`)),
        );
        res.end();
        return;
      }
      if (from < compactedRevision) {
        writeEvent(
          watcher,
          'ERROR',
          statusBody(
            new ApiError(410, 'Expired', `too old resource version: ${from} (${compactedRevision})`),
          ),
        );
        res.end();
        return;
      }
      for (const event of history) {
        if (event.rv <= from) continue;
        const out = eventFor(watcher, event);
        if (out !== undefined) writeEvent(watcher, out[0], out[1]);
      }
    }
    watchers.add(watcher);
    const finish = (): void => {
      for (const timer of watcher.timers) clearTimeout(timer);
      watchers.delete(watcher);
    };
    res.on('close', finish);
    const timeoutSeconds = Number(params.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) watcher.timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
    if (watcher.bookmarks)
      watcher.timers.push(
        setInterval(() => {
          sendBookmark(watcher);
        }, bookmarkIntervalMs),
      );
  }

  function sendBookmark(watcher: Watcher): void {
    if (!watcher.bookmarks) return;
    writeEvent(watcher, 'BOOKMARK', {
      kind: watcher.def.kind,
      apiVersion: apiVersionOf(watcher.def),
      metadata: { resourceVersion: String(revision) },
    });
  }

  function discovery(segments: readonly string[]): Json | undefined {
    const path = '/' + segments.join('/');
    const resourcesOf = (group: string, version: string): Json =>
      RESOURCES.filter((d) => d.group === group && d.version === version).flatMap((d) => {
        const main = {
          name: d.plural,
          singularName: d.singular,
          namespaced: d.namespaced,
          kind: d.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          ...(d.shortNames.length > 0 ? { shortNames: [...d.shortNames] } : {}),
          ...(d.categories.length > 0 ? { categories: [...d.categories] } : {}),
        };
        return d.statusSubresource
          ? [
              main,
              {
                name: `${d.plural}/status`,
                singularName: '',
                namespaced: d.namespaced,
                kind: d.kind,
                verbs: ['get', 'patch', 'update'],
              },
            ]
          : [main];
      });
    const groups = [
      ...new Set(RESOURCES.filter((d) => d.group !== '').map((d) => `${d.group}/${d.version}`)),
    ].map((gv) => {
      const [name = '', version = ''] = gv.split('/');
      return {
        name,
        versions: [{ groupVersion: gv, version }],
        preferredVersion: { groupVersion: gv, version },
      };
    });
    if (path === '/api') {
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
      };
    }
    if (path === '/api/v1')
      return { kind: 'APIResourceList', groupVersion: 'v1', resources: resourcesOf('', 'v1') };
    if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups };
    const group = groups.find((g) => path === `/apis/${g.name}`);
    if (group !== undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...group };
    const gv = groups.find((g) => path === `/apis/${g.name}/${g.preferredVersion.version}`);
    if (gv !== undefined) {
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: gv.preferredVersion.groupVersion,
        resources: resourcesOf(gv.name, gv.preferredVersion.version),
      };
    }
    if (path === '/version')
      return {
        ...KUBE_VERSION,
        gitCommit: '0',
        gitTreeState: 'clean',
        buildDate: '2025-01-01T00:00:00Z',
        goVersion: 'go1.23',
        compiler: 'gc',
      };
    return undefined;
  }

  /**
   * kubectl (1.27+) asks OpenAPI v3 whether PATCH takes `fieldValidation` (server-side validation) before it
   * applies, replaces or edits; without it, it falls back to client-side validation that needs OpenAPI v2 protobuf.
   */
  function openApiV3(segments: readonly string[]): Json | undefined {
    if (segments[0] !== 'openapi' || segments[1] !== 'v3') return undefined;
    const gvPaths = [
      ...new Set(RESOURCES.map((d) => (d.group === '' ? 'api/v1' : `apis/${d.group}/${d.version}`))),
    ];
    const rest = segments.slice(2).join('/');
    if (rest === '') {
      return {
        paths: Object.fromEntries(gvPaths.map((p) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=0` }])),
      };
    }
    if (!gvPaths.includes(rest)) return undefined;
    const paths: { [key: string]: Json } = {};
    for (const def of RESOURCES.filter(
      (d) => (d.group === '' ? 'api/v1' : `apis/${d.group}/${d.version}`) === rest,
    )) {
      const base = `/${rest}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}/{name}`;
      const gvk = { group: def.group, version: def.version, kind: def.kind };
      const query = (name: string): Json => ({
        name,
        in: 'query',
        schema: { type: 'string', uniqueItems: true },
      });
      const params = [query('dryRun'), query('fieldManager'), query('fieldValidation')];
      const op = (action: string): Json => ({
        operationId: `${action}${def.kind}`,
        'x-kubernetes-action': action,
        'x-kubernetes-group-version-kind': gvk,
        parameters: params,
        responses: { '200': { description: 'OK' } },
      });
      paths[base] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
      paths[base.replace('/{name}', '')] = { get: op('list'), post: op('post') };
    }
    if (rest === 'api/v1') {
      // Custom resources without their own spec are checked against Namespace's PATCH parameters.
      paths['/api/v1/namespaces/{name}'] = {
        patch: {
          operationId: 'patchNamespace',
          'x-kubernetes-action': 'patch',
          'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Namespace' },
          parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }],
          responses: { '200': { description: 'OK' } },
        },
      };
    }
    return {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
      paths,
      components: { schemas: {} },
    };
  }

  async function handleResource(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    params: URLSearchParams,
    record: RecordedRequest,
  ): Promise<void> {
    const { def, namespace, name, subresource } = target;
    const method = req.method ?? 'GET';
    const dryRun = params.getAll('dryRun').includes('All');
    if (subresource !== undefined && (subresource !== 'status' || !def.statusSubresource)) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const key = name === undefined ? undefined : objectKey(def, namespace, name);
    const existing = key === undefined ? undefined : objects.get(key);
    const wantsTable = (req.headers.accept ?? '').includes('as=Table');

    if (name === undefined) {
      if (method === 'GET' && record.watch) {
        startWatch(target, params, res);
        return;
      }
      if (method === 'GET') {
        const rvMatch = params.get('resourceVersionMatch');
        const rvParam = params.get('resourceVersion');
        if (rvMatch === 'Exact' && rvParam !== null && Number(rvParam) < compactedRevision) {
          throw new ApiError(410, 'Expired', 'The resourceVersion for the provided list is too old.');
        }
        const fields = parseSelector(params.get('fieldSelector'), 'field');
        const labels = parseSelector(params.get('labelSelector'), 'label');
        const items = storedList(def, namespace).filter((o) => fields(o) && labels(o));
        const listRv = String(revision);
        if (wantsTable) {
          send(res, 200, asTable(def, items, params.get('includeObject'), listRv));
          return;
        }
        send(res, 200, {
          kind: `${def.kind}List`,
          apiVersion: apiVersionOf(def),
          metadata: { resourceVersion: listRv },
          items,
        });
        return;
      }
      if (method === 'POST') {
        if (isProtobuf(req)) throw unsupportedProtobuf();
        if (def.namespaced && namespace === undefined)
          throw new ApiError(
            405,
            'MethodNotAllowed',
            'POST is not supported on the all-namespaces collection',
          );
        const obj = normalise(def, parseJson(await readBody(req)), namespace, undefined);
        send(res, 201, create(def, obj, dryRun));
        return;
      }
      throw new ApiError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
    }

    if (method === 'GET' && record.watch) {
      startWatch(target, params, res);
      return;
    }
    if (method === 'GET') {
      if (existing === undefined) throw notFound(def, name);
      send(
        res,
        200,
        wantsTable ? asTable(def, [existing], params.get('includeObject'), String(revision)) : existing,
      );
      return;
    }
    if ((method === 'PUT' || method === 'PATCH' || method === 'POST') && isProtobuf(req)) {
      throw unsupportedProtobuf();
    }
    if (method === 'PUT') {
      const obj = normalise(def, parseJson(await readBody(req)), namespace, name);
      if (existing === undefined) throw notFound(def, name);
      send(res, 200, update(def, existing, obj, subresource, dryRun));
      return;
    }
    if (method === 'PATCH') {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const body = parseJson(await readBody(req));
      if (existing === undefined) throw notFound(def, name);
      let patched: Json;
      try {
        if (contentType === 'application/merge-patch+json') patched = mergePatch(existing, body);
        else if (contentType === 'application/strategic-merge-patch+json')
          patched = mergePatch(existing, body, true);
        else if (contentType === 'application/json-patch+json') patched = jsonPatch(existing, body);
        else {
          throw new ApiError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
          );
        }
      } catch (error) {
        if (error instanceof PatchError)
          throw new ApiError(error.code, error.code === 400 ? 'BadRequest' : 'Invalid', error.message);
        throw error;
      }
      const obj = normalise(def, patched, namespace, name);
      send(res, 200, update(def, existing, obj, subresource, dryRun));
      return;
    }
    if (method === 'DELETE') {
      if (existing === undefined) throw notFound(def, name);
      const text = await readBody(req);
      const options = text.trim() === '' ? {} : parseJson(text);
      const preconditions = isObject(options) ? options['preconditions'] : undefined;
      if (
        isObject(preconditions) &&
        typeof preconditions['resourceVersion'] === 'string' &&
        preconditions['resourceVersion'] !== existing.metadata['resourceVersion']
      ) {
        throw new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": the ResourceVersion in the precondition (${preconditions['resourceVersion']}) does not match the ResourceVersion in record (${textOf(existing.metadata['resourceVersion'])}). The object might have been modified`,
          { name, kind: def.plural },
        );
      }
      send(res, 200, remove(def, existing, dryRun));
      return;
    }
    throw new ApiError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const params = url.searchParams;
    let segments = url.pathname.split('/').filter((s) => s !== '');
    // Legacy watch paths: /api/v1/watch/… and /apis/g/v/watch/…
    const watchIndex = segments[0] === 'api' ? 2 : 3;
    const legacyWatch = segments[watchIndex] === 'watch';
    if (legacyWatch) segments = [...segments.slice(0, watchIndex), ...segments.slice(watchIndex + 1)];
    const authorizationHeader = req.headers.authorization;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      userAgent: req.headers['user-agent'] ?? '',
      authorization: authorizationHeader !== undefined && authorizationHeader !== '',
      contentType: req.headers['content-type'] ?? '',
      watch: legacyWatch || params.get('watch') === 'true' || params.get('watch') === '1',
      status: 0,
    };
    log.push(record);
    res.on('finish', () => {
      if (record.status === 0) record.status = res.statusCode;
    });
    let target: Target | undefined;
    try {
      if (options.authenticate !== undefined) {
        const bearer = /^Bearer\s+(.+)$/i.exec(authorizationHeader ?? '')?.[1];
        if (!(await options.authenticate(bearer))) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      }
      const failure = failures.find(
        (f) =>
          f.left > 0 &&
          (f.failure.method === undefined || f.failure.method === record.method) &&
          (f.failure.path === undefined || f.failure.path.test(record.path)) &&
          (f.failure.watch === undefined || f.failure.watch === record.watch),
      );
      if (failure !== undefined) {
        failure.left -= 1;
        throw new ApiError(failure.failure.status ?? 503, 'ServiceUnavailable', 'injected failure');
      }
      const doc = discovery(segments) ?? openApiV3(segments);
      if (doc !== undefined && req.method === 'GET') {
        record.status = 200;
        send(res, 200, doc);
        return;
      }
      if (['healthz', 'livez', 'readyz'].includes(segments[0] ?? '') && segments.length === 1) {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      }
      if (
        segments[0] === 'api' &&
        segments[1] === 'v1' &&
        segments[2] === 'namespaces' &&
        segments.length === 4 &&
        req.method === 'GET'
      ) {
        send(res, 200, {
          kind: 'Namespace',
          apiVersion: 'v1',
          metadata: { name: segments[3] ?? '' },
          spec: { finalizers: ['kubernetes'] },
          status: { phase: 'Active' },
        });
        return;
      }
      target = matchTarget(segments);
      if (target === undefined)
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      await handleResource(req, res, target, params, record);
      if (record.watch) record.status = 200;
    } catch (error) {
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(500, 'InternalError', `internal error: ${(error as Error).message}`);
      record.status = apiError.code;
      if (!res.headersSent) send(res, apiError.code, statusBody(apiError, target?.def));
      else res.end();
    }
  }

  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  const url = `https://${host}`;

  function directSet(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    fill: (obj: KubeObject) => void,
  ): KubeObject {
    const old = objects.get(objectKey(def, namespace, name));
    const next: KubeObject =
      old === undefined
        ? {
            kind: def.kind,
            apiVersion: apiVersionOf(def),
            metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
          }
        : structuredClone(old);
    fill(next);
    if (old === undefined) return create(def, next, false);
    delete next.metadata['resourceVersion'];
    return update(def, old, next, undefined, false);
  }

  function directDelete(def: ResourceDef, namespace: string | undefined, name: string): boolean {
    const old = objects.get(objectKey(def, namespace, name));
    if (old === undefined) return false;
    commit(def, 'DELETED', old, old);
    return true;
  }

  return {
    url,
    caPem: cert.caPem,
    kubeconfig(kubeconfigOptions = {}) {
      const ca = Buffer.from(cert.caPem).toString('base64');
      const exec = kubeconfigOptions.exec;
      const user =
        exec !== undefined
          ? {
              exec: {
                apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1',
                command: exec.command,
                args: [...(exec.args ?? [])],
                env: Object.entries(exec.env ?? {}).map(([name, value]) => ({ name, value })),
                interactiveMode: 'Never',
                provideClusterInfo: false,
              },
            }
          : { token: kubeconfigOptions.token ?? 'kube-api-test-server' };
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: url, 'certificate-authority-data': ca } }],
        users: [{ name: 'test', user }],
        contexts: [
          {
            name: 'test',
            context: {
              cluster: 'test',
              user: 'test',
              ...(kubeconfigOptions.namespace !== undefined
                ? { namespace: kubeconfigOptions.namespace }
                : {}),
            },
          },
        ],
        'current-context': 'test',
        preferences: {},
      };
      // JSON is YAML: kubectl and client-node read it as a kubeconfig.
      return JSON.stringify(config, null, 2) + '\n';
    },
    requests: () => log.map((r) => ({ ...r })),
    clearRequests: () => {
      log.length = 0;
    },
    dropWatches(dropOptions = {}) {
      const open = [...watchers];
      for (const watcher of open) {
        for (const timer of watcher.timers) clearTimeout(timer);
        watchers.delete(watcher);
        if (dropOptions.abrupt === true) watcher.res.socket?.destroy();
        else watcher.res.end();
      }
      return open.length;
    },
    compact() {
      history.length = 0;
      compactedRevision = revision;
    },
    sendBookmarks() {
      for (const watcher of watchers) sendBookmark(watcher);
    },
    watchCount: (plural) =>
      [...watchers].filter((w) => plural === undefined || w.def.plural === plural).length,
    async waitForWatches(count, waitOptions = {}) {
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 5000);
      const current = (): number =>
        [...watchers].filter((w) => waitOptions.plural === undefined || w.def.plural === waitOptions.plural)
          .length;
      while (current() < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} open watches, have ${current()}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    failRequests(failure) {
      failures.push({ failure, left: failure.count ?? 1 });
    },
    resourceVersion: () => String(revision),
    setConfigMap(namespace, name, data, cmOptions = {}) {
      return directSet(CONFIGMAPS, namespace, name, (obj) => {
        obj['data'] = { ...data };
        if (cmOptions.immutable !== undefined) obj['immutable'] = cmOptions.immutable;
        if (cmOptions.labels !== undefined) obj.metadata['labels'] = { ...cmOptions.labels };
        if (cmOptions.annotations !== undefined) obj.metadata['annotations'] = { ...cmOptions.annotations };
      });
    },
    getConfigMap: (namespace, name) => {
      const obj = objects.get(objectKey(CONFIGMAPS, namespace, name));
      return obj === undefined ? undefined : structuredClone(obj);
    },
    deleteConfigMap: (namespace, name) => directDelete(CONFIGMAPS, namespace, name),
    setIdentityMapping(name, spec) {
      return directSet(IAM_IDENTITY_MAPPINGS, undefined, name, (obj) => {
        obj['spec'] = {
          arn: spec.arn,
          username: spec.username,
          ...(spec.groups !== undefined ? { groups: [...spec.groups] } : {}),
        };
      });
    },
    getIdentityMapping: (name) => {
      const obj = objects.get(objectKey(IAM_IDENTITY_MAPPINGS, undefined, name));
      return obj === undefined ? undefined : structuredClone(obj);
    },
    deleteIdentityMapping: (name) => directDelete(IAM_IDENTITY_MAPPINGS, undefined, name),
    async close() {
      for (const watcher of watchers) {
        for (const timer of watcher.timers) clearTimeout(timer);
        watcher.res.end();
      }
      watchers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}
