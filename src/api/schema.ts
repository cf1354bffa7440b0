/**
 * A small builder for the OpenAPI v3 subset that Kubernetes accepts as a structural CRD schema,
 * plus a validator for the same subset. The CRD manifests and the tests that check users'
 * manifests both read from these objects, so the schema has one source of truth.
 */

/** The OpenAPI v3 properties a structural CRD schema may use (the subset we need). */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: 'date-time' | 'int32' | 'int64';
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  enum?: string[];
  minimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

type Extra = Omit<JSONSchemaProps, 'type' | 'description'>;

export function str(description: string, extra: Extra = {}): JSONSchemaProps {
  return { description, type: 'string', ...extra };
}

export function int(description: string, extra: Extra = {}): JSONSchemaProps {
  return { description, type: 'integer', ...extra };
}

export function dateTime(description: string): JSONSchemaProps {
  return { description, type: 'string', format: 'date-time' };
}

export function arr(
  description: string,
  items: JSONSchemaProps,
  extra: Extra = {},
): JSONSchemaProps {
  return { description, type: 'array', items, ...extra };
}

/** An object schema; `required` lists the property names a valid object must carry. */
export function obj(
  description: string,
  properties: Record<string, JSONSchemaProps>,
  required: string[] = [],
): JSONSchemaProps {
  const schema: JSONSchemaProps = { description, type: 'object', properties };
  if (required.length > 0) schema.required = required;
  return schema;
}

/** One problem found by `validateSchema`: where it is and what was wrong. */
export interface SchemaIssue {
  path: string;
  message: string;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: JSONSchemaProps['type'], actual: string): boolean {
  return (
    expected === undefined || expected === actual || (expected === 'number' && actual === 'integer')
  );
}

function checkString(schema: JSONSchemaProps, value: string, path: string, out: SchemaIssue[]) {
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    out.push({ path, message: `must be one of ${schema.enum.join(', ')}` });
  }
  if (schema.format === 'date-time' && !DATE_TIME.test(value)) {
    out.push({ path, message: 'must be an RFC 3339 date-time' });
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    out.push({ path, message: `must be at least ${schema.minLength} characters` });
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    out.push({ path, message: `must be at most ${schema.maxLength} characters` });
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    out.push({ path, message: `must match ${schema.pattern}` });
  }
}

function checkObject(
  schema: JSONSchemaProps,
  value: Record<string, unknown>,
  path: string,
  out: SchemaIssue[],
) {
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(value, name)) out.push({ path: `${path}.${name}`, message: 'is required' });
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    if (Object.hasOwn(value, name)) walk(child, value[name], `${path}.${name}`, out);
  }
}

function walk(schema: JSONSchemaProps, value: unknown, path: string, out: SchemaIssue[]): void {
  const actual = typeOf(value);
  if (!typeMatches(schema.type, actual)) {
    out.push({ path, message: `must be of type ${schema.type ?? 'any'}, got ${actual}` });
    return;
  }
  if (typeof value === 'string') checkString(schema, value, path, out);
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) {
    out.push({ path, message: `must be at least ${schema.minimum}` });
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    value.forEach((item, i) => {
      walk(items, item, `${path}[${i}]`, out);
    });
  }
  if (actual === 'object') checkObject(schema, value as Record<string, unknown>, path, out);
}

/**
 * Checks a value against a schema the way the API server's structural validation does for the
 * keywords above. Unknown properties are not errors: the API server prunes them instead.
 */
export function validateSchema(schema: JSONSchemaProps, value: unknown, root = ''): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  walk(schema, value, root, out);
  return out;
}
