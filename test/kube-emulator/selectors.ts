/**
 * Label and field selectors, parsed from the query string as the apiserver accepts them.
 * Parse errors become 400 BadRequest `ApiError`s; nothing else is thrown for any input.
 */

import { badRequest } from './errors.js';
import { isRecord, type KubeObject } from './types.js';

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists' | '>' | '<';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Whether `key` is a valid label key: `[prefix/]name`, prefix a DNS subdomain ≤ 253. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash === -1) return NAME_PART.test(key);
  const prefix = key.slice(0, slash);
  const name = key.slice(slash + 1);
  return prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix) && NAME_PART.test(name);
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** Splits on commas that are not inside parentheses (set values contain commas). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

const SET_FORM = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/;
const COMPARE_FORM = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/;

function checkKey(key: string, selector: string): string {
  if (!isLabelKey(key)) {
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${selector}"`);
  }
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!isLabelValue(value)) {
    throw badRequest(
      `unable to parse requirement: invalid label value "${value}" in "${selector}"`,
    );
  }
  return value;
}

function parseRequirement(raw: string, selector: string): LabelRequirement {
  const text = raw.trim();
  const set = SET_FORM.exec(text);
  if (set !== null) {
    const [, key = '', op = '', list = ''] = set;
    if (list.trim() === '') {
      throw badRequest(
        `unable to parse requirement: empty value set for "${key}" in "${selector}"`,
      );
    }
    const values = list.split(',').map((v) => checkValue(v.trim(), selector));
    return { key: checkKey(key, selector), operator: op === 'in' ? 'in' : 'notin', values };
  }
  const cmp = COMPARE_FORM.exec(text);
  if (cmp !== null) return comparison(cmp, selector);
  if (text.startsWith('!')) {
    return { key: checkKey(text.slice(1).trim(), selector), operator: '!exists', values: [] };
  }
  if (text !== '' && !/[\s=!<>()]/.test(text)) {
    return { key: checkKey(text, selector), operator: 'exists', values: [] };
  }
  throw badRequest(`unable to parse requirement: "${text}" in label selector "${selector}"`);
}

function comparison(match: RegExpExecArray, selector: string): LabelRequirement {
  const [, key = '', op = '', value = ''] = match;
  checkKey(key, selector);
  if (op === '>' || op === '<') {
    if (!/^-?\d+$/.test(value)) {
      throw badRequest(
        `unable to parse requirement: "${value}" is not an integer in "${selector}"`,
      );
    }
    return { key, operator: op, values: [value] };
  }
  return { key, operator: op === '!=' ? '!=' : '=', values: [checkValue(value, selector)] };
}

/** Parses a label selector; the empty string selects everything. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitTopLevel(selector).map((part) => parseRequirement(part, selector));
}

function requirementMatches(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case '=':
    case 'in':
      return has && req.values.includes(value ?? '');
    case '!=':
    case 'notin':
      return !has || !req.values.includes(value ?? '');
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '>':
    case '<':
      return has && compareInts(value ?? '', req.operator, req.values[0] ?? '');
  }
}

function compareInts(value: string, op: '>' | '<', bound: string): boolean {
  if (!/^-?\d+$/.test(value)) return false;
  return op === '>' ? Number(value) > Number(bound) : Number(value) < Number(bound);
}

export function labelsMatch(reqs: LabelRequirement[], obj: KubeObject): boolean {
  const labels = obj.metadata.labels ?? {};
  return reqs.every((r) => requirementMatches(r, labels));
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** Splits on an unescaped separator; `\` escapes `,`, `=`, `!` and itself in field values. */
function splitUnescaped(text: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charAt(i);
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text.charAt(i + 1);
      i += 1;
    } else if (ch === sep) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

function parseFieldTerm(term: string, allowed: readonly string[]): FieldRequirement {
  const match = /^([^=!]+?)\s*(==|=|!=)(.*)$/s.exec(term.trim());
  if (match === null) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
  const [, field = '', op = '', value = ''] = match;
  if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`);
  return { field, operator: op === '!=' ? '!=' : '=', value: unescape(value) };
}

/** Parses a field selector, accepting only `allowed` field paths. */
export function parseFieldSelector(
  selector: string,
  allowed: readonly string[],
): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return splitUnescaped(selector, ',').map((term) => parseFieldTerm(term, allowed));
}

/** The string a field selector compares: missing fields read as '', booleans as text. */
export function fieldValue(obj: KubeObject, path: string): string {
  const steps = path === 'source' ? ['source', 'component'] : path.split('.');
  let at: unknown = obj;
  for (const step of steps) at = isRecord(at) ? at[step] : undefined;
  if (typeof at === 'string') return at;
  if (typeof at === 'number' || typeof at === 'boolean') return String(at);
  return '';
}

export function fieldsMatch(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.operator === '='));
}

/** A parsed pair of selectors, applied together. */
export interface Selector {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export function selects(selector: Selector, obj: KubeObject): boolean {
  return labelsMatch(selector.labels, obj) && fieldsMatch(selector.fields, obj);
}
