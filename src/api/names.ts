import type { StringRule } from './config-read.js';

/**
 * Kubernetes naming rules the config needs (label keys and values, object names, node
 * selectors), written as `StringRule`s so the error tells the user what is allowed.
 */

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS_SUBDOMAIN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`, 'u');
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/u;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/u;

function isSubdomain(text: string): boolean {
  return text.length <= 253 && DNS_SUBDOMAIN.test(text);
}

function isLabelKey(text: string): boolean {
  const slash = text.indexOf('/');
  const name = slash < 0 ? text : text.slice(slash + 1);
  if (slash >= 0 && !isSubdomain(text.slice(0, slash))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

export const OBJECT_NAME: StringRule = {
  allowed: 'a DNS subdomain name (lowercase letters, digits, "-" and ".", at most 253)',
  test: isSubdomain,
};

export const OPTIONAL_OBJECT_NAME: StringRule = {
  allowed: `empty or ${OBJECT_NAME.allowed}`,
  test: (text) => text === '' || isSubdomain(text),
};

export const LABEL_KEY: StringRule = {
  allowed: 'a label key such as example.com/name (optional DNS prefix, name of at most 63)',
  test: isLabelKey,
};

export const LABEL_VALUE_RULE: StringRule = {
  allowed: 'a label value (at most 63 letters, digits, "-", "_" or ".", alphanumeric at the ends)',
  test: (text) => text.length <= 63 && LABEL_VALUE.test(text),
};

/** A node filter entry: a label key (the label must exist) or `key=value`. */
export const NODE_SELECTOR: StringRule = {
  allowed: 'a label key or key=value, e.g. kubernetes.io/os=windows',
  test: (text) => {
    const eq = text.indexOf('=');
    if (eq < 0) return isLabelKey(text);
    return isLabelKey(text.slice(0, eq)) && LABEL_VALUE_RULE.test(text.slice(eq + 1));
  },
};

/** An image repository without tag, e.g. ghcr.io/org/remover. */
export const IMAGE_REPO: StringRule = {
  allowed: 'an image repository without tag or digest, e.g. ghcr.io/org/remover',
  test: (text) => text.length <= 255 && /^[a-z0-9]+(([._-]|__|\/|:\d+\/)[a-z0-9]+)*$/u.test(text),
};

export const IMAGE_TAG: StringRule = {
  allowed: 'an image tag (letters, digits, "_", "." or "-", at most 128, not starting with . or -)',
  test: (text) => /^[\w][\w.-]{0,127}$/u.test(text),
};
