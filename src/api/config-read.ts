import { nearestField } from './config-suggest.js';
import { parseDuration } from './duration.js';
import { parseQuantity } from './quantity.js';

/** One invalid field: where, what was there, and what would have been accepted. */
export interface ConfigIssue {
  field: string;
  value: unknown;
  allowed: string;
  /** For a refused unknown key: the known field it most likely meant. */
  suggestion?: string;
}

/** A field that was read but ignored, e.g. an unknown key carried over from another version. */
export interface ConfigWarning {
  field: string;
  message: string;
  /**
   * `error` for a key the config does not know at all: most likely a typo, after which the
   * manager runs on a default the user did not mean.
   */
  level: 'warn' | 'error';
  /** The known field an unknown key most likely meant. */
  suggestion?: string;
}

/**
 * How a section treats keys it does not know. An unknown key within a typo's reach of a known
 * one is always invalid: running on the default the user meant to change can widen cleaning.
 * Other unknown keys are logged and ignored, as other Eraser versions may carry keys we lack.
 */
export interface SectionRules {
  /** Every unknown key is invalid (ConfigError), near a known one or not. */
  readonly strict?: boolean;
  /**
   * Keys accepted and ignored without a word: Eraser's own keys that do nothing here. A typo
   * of one is logged with the key it likely meant but not refused: it is ignored either way.
   */
  readonly quiet?: readonly string[];
}

/** A check on a string value: `allowed` is shown to the user when `test` fails. */
export interface StringRule {
  allowed: string;
  test: (value: string) => boolean;
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const DURATION_ALLOWED = 'a non-negative Go duration such as 24h, 1h30m or 0s';

/**
 * Collects issues and warnings while a config is read, so one load reports every bad field at
 * once instead of the first only.
 */
export class ConfigReader {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigWarning[] = [];

  fail(field: string, value: unknown, allowed: string): void {
    this.issues.push({ field, value, allowed });
  }

  warn(field: string, message: string): void {
    this.warnings.push({ field, message, level: 'warn' });
  }

  /**
   * The mapping at `field`; absent or null reads as empty. Keys neither in `known` nor quiet
   * are invalid when the section is strict or the key is a near miss of a known one, and
   * reported at error level otherwise; both name the nearest known or quiet key.
   */
  section(
    value: unknown,
    field: string,
    known: readonly string[],
    rules: SectionRules = {},
  ): Section {
    if (value === undefined || value === null) return new Section(this, {}, field);
    if (!isPlain(value)) {
      this.fail(field, value, 'a mapping');
      return new Section(this, {}, field);
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key) && rules.quiet?.includes(key) !== true) {
        this.unknown(join(field, key), key, value[key], known, rules);
      }
    }
    return new Section(this, value, field);
  }

  private unknown(
    field: string,
    key: string,
    value: unknown,
    known: readonly string[],
    rules: SectionRules,
  ): void {
    const suggestion = nearestField(key, [...known, ...(rules.quiet ?? [])]);
    const nearMiss = suggestion !== undefined && known.includes(suggestion);
    const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
    const meant = suggestion === undefined ? {} : { suggestion };
    if (rules.strict === true || nearMiss) {
      const allowed = rules.strict === true ? 'no unknown field here' : 'a known field name';
      this.issues.push({
        field,
        value,
        allowed: `${allowed}; known fields: ${known.join(', ')}${hint}`,
        ...meant,
      });
      return;
    }
    const message = `unknown field, ignored${hint}`;
    this.warnings.push({ field, message, level: 'error', ...meant });
  }
}

function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Typed getters over one mapping; each falls back to its default and records bad values. */
export class Section {
  constructor(
    private readonly reader: ConfigReader,
    private readonly fields: Plain,
    readonly path: string,
  ) {}

  field(key: string): string {
    return join(this.path, key);
  }

  /** The raw value, with YAML null treated as absent (as Go's decoder treats it). */
  raw(key: string): unknown {
    return Object.hasOwn(this.fields, key) ? (this.fields[key] ?? undefined) : undefined;
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  child(key: string, known: readonly string[], rules: SectionRules = {}): Section {
    return this.reader.section(this.raw(key), this.field(key), known, rules);
  }

  private bad<T>(key: string, allowed: string, fallback: T): T {
    this.reader.fail(this.field(key), this.raw(key), allowed);
    return fallback;
  }

  string(key: string, fallback: string, rule?: StringRule): string {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'string') return this.bad(key, rule?.allowed ?? 'a string', fallback);
    if (rule !== undefined && !rule.test(value)) return this.bad(key, rule.allowed, fallback);
    return value;
  }

  oneOf<T extends string>(key: string, fallback: T, values: readonly T[]): T {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const found = values.find((v) => v === value);
    return found ?? this.bad(key, `one of ${values.join(', ')}`, fallback);
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    return typeof value === 'boolean' ? value : this.bad(key, 'true or false', fallback);
  }

  number(key: string, fallback: number, min: number, max: number, integer = false): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const kind = integer ? 'an integer' : 'a number';
    const ok = typeof value === 'number' && (!integer || Number.isInteger(value));
    if (!ok || value < min || value > max) {
      return this.bad(key, `${kind} from ${min} to ${max}`, fallback);
    }
    return value;
  }

  /** A Go duration string in milliseconds; a bare YAML `0` is accepted as zero. */
  duration(key: string, fallbackMs: number, minMs = 0): number {
    const value = this.raw(key);
    if (value === undefined) return fallbackMs;
    if (value === 0) return this.checkMin(key, 0, minMs, fallbackMs);
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined) return this.bad(key, DURATION_ALLOWED, fallbackMs);
    return this.checkMin(key, ms, minMs, fallbackMs);
  }

  private checkMin(key: string, ms: number, minMs: number, fallbackMs: number): number {
    if (ms >= minMs) return ms;
    const allowed = minMs === 0 ? DURATION_ALLOWED : 'a positive Go duration such as 24h or 30m';
    return this.bad(key, allowed, fallbackMs);
  }

  /** A non-negative Kubernetes quantity, kept as text; YAML numbers such as `0` are accepted. */
  quantity(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const text = typeof value === 'number' ? String(value) : value;
    const allowed = 'a non-negative Kubernetes quantity such as 25Mi, 1Gi, 500m or 0';
    if (typeof text === 'string' && (parseQuantity(text) ?? -1) >= 0) return text;
    this.reader.fail(this.field(key), value, allowed);
    return undefined;
  }

  stringList(key: string, fallback: readonly string[], rule?: StringRule): string[] {
    const value = this.raw(key);
    if (value === undefined) return [...fallback];
    const allowed = `a list of strings${rule === undefined ? '' : `, each ${rule.allowed}`}`;
    if (!Array.isArray(value)) return this.bad(key, allowed, [...fallback]);

    const out: string[] = [];
    value.forEach((item: unknown, i) => {
      if (typeof item === 'string' && (rule === undefined || rule.test(item))) out.push(item);
      else this.reader.fail(`${this.field(key)}[${i}]`, item, rule?.allowed ?? 'a string');
    });
    return out;
  }

  /** A string-to-string mapping whose keys and values pass the given rules. */
  stringMap(key: string, keyRule: StringRule, valueRule: StringRule): Record<string, string> {
    const value = this.raw(key);
    if (value === undefined) return {};
    if (!isPlain(value)) return this.bad(key, 'a mapping of strings to strings', {});

    const out: [string, string][] = [];
    for (const [name, item] of Object.entries(value)) {
      const path = `${this.field(key)}.${name}`;
      if (!keyRule.test(name)) this.reader.fail(path, name, `a key that is ${keyRule.allowed}`);
      else if (typeof item !== 'string' || !valueRule.test(item)) {
        this.reader.fail(path, item, valueRule.allowed);
      } else out.push([name, item]);
    }
    // fromEntries defines own properties, so even a `__proto__` key cannot reach the prototype.
    return Object.fromEntries(out);
  }
}
