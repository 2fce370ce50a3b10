import { isObject } from './kube-api-server-patch.js';
import type { Json } from './kube-api-server-patch.js';

/** A stored object as the API returns it (kind, apiVersion, metadata, …). */
export type KubeObject = { [key: string]: Json } & { metadata: { [key: string]: Json } };

export interface FieldCause {
  readonly field: string;
  readonly reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueTooLong';
  readonly message: string;
}

/** The resources the test server serves: enough of the real API for aws-auth tools, the CRD backend and kubectl. */
export interface ResourceDef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** A status subresource: main-resource writes keep the old status, /status writes keep everything else. */
  readonly statusSubresource: boolean;
  /** Custom resources answer DELETE with the object; built-ins like ConfigMap with a Status. */
  readonly returnDeletedObject: boolean;
  /** 400 for undecodable bodies (wrong JSON types) as the real decoder does. */
  readonly decodeError?: (obj: KubeObject) => string | undefined;
  /** 422 causes; `old` is set on updates. */
  readonly validate?: (obj: KubeObject, old: KubeObject | undefined) => FieldCause[];
  readonly tableColumns: readonly { name: string; type: string; cell: (obj: KubeObject) => Json }[];
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

/** `configmaps` for core resources, `iamidentitymappings.iamauthenticator.k8s.aws` otherwise (as in real messages). */
export function qualifiedResource(def: ResourceDef): string {
  return def.group === '' ? def.plural : `${def.plural}.${def.group}`;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_CONFIGMAP_BYTES = 1024 * 1024;

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

function validateConfigMap(obj: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  let size = 0;
  for (const field of ['data', 'binaryData'] as const) {
    const map = obj[field];
    if (!isObject(map)) continue;
    for (const [key, value] of Object.entries(map)) {
      if (!CONFIG_KEY.test(key) || key.length > 253) {
        causes.push({
          field: `${field}[${key}]`,
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
        });
      }
      size += key.length + (typeof value === 'string' ? value.length : 0);
    }
  }
  if (size > MAX_CONFIGMAP_BYTES) {
    causes.push({
      field: 'data',
      reason: 'FieldValueTooLong',
      message: `Too long: must have at most ${MAX_CONFIGMAP_BYTES} bytes`,
    });
  }
  if (old !== undefined && old['immutable'] === true) {
    const same = (a: Json | undefined, b: Json | undefined): boolean =>
      JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
    if (!same(obj['data'], old['data']) || !same(obj['binaryData'], old['binaryData'])) {
      causes.push({
        field: 'data',
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
      });
    }
    if (obj['immutable'] !== true) {
      causes.push({
        field: 'immutable',
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
      });
    }
  }
  return causes;
}

function decodeConfigMap(obj: KubeObject): string | undefined {
  for (const field of ['data', 'binaryData'] as const) {
    const map = obj[field];
    if (map === undefined || map === null) continue;
    if (!isObject(map)) {
      return `json: cannot unmarshal ${describeType(map)} into Go struct field ConfigMap.${field} of type map[string]${field === 'data' ? 'string' : '[]uint8'}`;
    }
    for (const value of Object.values(map)) {
      if (typeof value !== 'string') {
        return `json: cannot unmarshal ${describeType(value)} into Go struct field ConfigMap.${field} of type ${field === 'data' ? 'string' : '[]uint8'}`;
      }
    }
  }
  if (obj['immutable'] !== undefined && obj['immutable'] !== null && typeof obj['immutable'] !== 'boolean') {
    return `json: cannot unmarshal ${describeType(obj['immutable'])} into Go struct field ConfigMap.immutable of type bool`;
  }
  return undefined;
}

function validateIdentityMapping(obj: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const spec = obj['spec'];
  if (!isObject(spec)) {
    return [{ field: 'spec', reason: 'FieldValueRequired', message: 'Required value' }];
  }
  for (const field of ['arn', 'username'] as const) {
    const value = spec[field];
    if (value === undefined || value === null) {
      causes.push({ field: `spec.${field}`, reason: 'FieldValueRequired', message: 'Required value' });
    } else if (typeof value !== 'string') {
      causes.push({
        field: `spec.${field}`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${describeType(value)}": spec.${field} in body must be of type string: "${describeType(value)}"`,
      });
    }
  }
  const groups = spec['groups'];
  if (
    groups !== undefined &&
    groups !== null &&
    (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string'))
  ) {
    causes.push({
      field: 'spec.groups',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: spec.groups in body must be of type array of strings',
    });
  }
  const status = obj['status'];
  if (status !== undefined && status !== null) {
    if (!isObject(status)) {
      causes.push({
        field: 'status',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: status in body must be of type object',
      });
    } else {
      for (const field of ['canonicalARN', 'userID'] as const) {
        const value = status[field];
        if (value !== undefined && value !== null && typeof value !== 'string') {
          causes.push({
            field: `status.${field}`,
            reason: 'FieldValueInvalid',
            message: `Invalid value: status.${field} in body must be of type string`,
          });
        }
      }
    }
  }
  return causes;
}

function age(obj: KubeObject): Json {
  const created = obj.metadata['creationTimestamp'];
  if (typeof created !== 'string') return '<unknown>';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(created)) / 1000));
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

export const CONFIGMAPS: ResourceDef = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  singular: 'configmap',
  kind: 'ConfigMap',
  namespaced: true,
  shortNames: ['cm'],
  categories: [],
  statusSubresource: false,
  returnDeletedObject: false,
  decodeError: decodeConfigMap,
  validate: validateConfigMap,
  tableColumns: [
    { name: 'Name', type: 'string', cell: (o) => o.metadata['name'] ?? '' },
    {
      name: 'Data',
      type: 'integer',
      cell: (o) =>
        (isObject(o['data']) ? Object.keys(o['data']).length : 0) +
        (isObject(o['binaryData']) ? Object.keys(o['binaryData']).length : 0),
    },
    { name: 'Age', type: 'string', cell: age },
  ],
};

export const IAM_IDENTITY_MAPPINGS: ResourceDef = {
  group: 'iamauthenticator.k8s.aws',
  version: 'v1alpha1',
  plural: 'iamidentitymappings',
  singular: 'iamidentitymapping',
  kind: 'IAMIdentityMapping',
  namespaced: false,
  shortNames: [],
  categories: ['all'],
  statusSubresource: true,
  returnDeletedObject: true,
  validate: validateIdentityMapping,
  tableColumns: [
    { name: 'Name', type: 'string', cell: (o) => o.metadata['name'] ?? '' },
    { name: 'ARN', type: 'string', cell: (o) => (isObject(o['spec']) ? (o['spec']['arn'] ?? '') : '') },
    {
      name: 'Username',
      type: 'string',
      cell: (o) => (isObject(o['spec']) ? (o['spec']['username'] ?? '') : ''),
    },
    { name: 'Age', type: 'string', cell: age },
  ],
};

/** Stored without schema checks, so `kubectl apply -f deploy/crd/…` works against the test server. */
export const CUSTOM_RESOURCE_DEFINITIONS: ResourceDef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  kind: 'CustomResourceDefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: [],
  statusSubresource: true,
  returnDeletedObject: true,
  tableColumns: [
    { name: 'Name', type: 'string', cell: (o) => o.metadata['name'] ?? '' },
    { name: 'Created At', type: 'date', cell: (o) => o.metadata['creationTimestamp'] ?? '' },
  ],
};

export const RESOURCES: readonly ResourceDef[] = [
  CONFIGMAPS,
  IAM_IDENTITY_MAPPINGS,
  CUSTOM_RESOURCE_DEFINITIONS,
];
