import { CronExpressionParser } from 'cron-parser';

import { isLogLevel, type LogLevel } from '../logger.js';
import type { ConfigReader, Section, StringRule } from './config-read.js';
import { RUNTIME_ADDRESSES, defaultEraserConfig } from './config-defaults.js';
import {
  NODE_FILTER_TYPES,
  RUNTIME_NAMES,
  type ManagerConfig,
  type RuntimeName,
  type RuntimeSpec,
  type ScheduleConfig,
} from './config-types.js';
import {
  LABEL_KEY,
  LABEL_VALUE_RULE,
  NODE_SELECTOR,
  OBJECT_NAME,
  OPTIONAL_OBJECT_NAME,
} from './names.js';

export const MANAGER_KEYS = [
  'runtime',
  'otlpEndpoint',
  'logLevel',
  'scheduling',
  'schedule',
  'profile',
  'imageJob',
  'pullSecrets',
  'priorityClassName',
  'additionalPodLabels',
  'nodeFilter',
] as const;

const STRICT = { strict: true } as const;

const RUNTIME_ADDRESS: StringRule = {
  allowed: 'a CRI socket address: unix:///absolute/path or tcp://host:port',
  test: (v) => /^unix:\/\/\/\S+$/u.test(v) || /^tcp:\/\/[^\s/]+:\d{1,5}$/u.test(v),
};

const OTLP_ENDPOINT: StringRule = {
  allowed: 'empty, host:port or an http(s) URL',
  test: (v) => v === '' || /^(https?:\/\/)?[^\s/:]+(:\d{1,5})?(\/\S*)?$/u.test(v),
};

const LOG_LEVEL: StringRule = {
  allowed: 'one of trace, debug, info, warn, error, fatal, silent',
  test: isLogLevel,
};

// Five-field expressions only: a seconds field would let a typo start a cluster-wide job
// every second.
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly'];

function isCron(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.startsWith('@')) return CRON_MACROS.includes(trimmed);
  if (trimmed.split(/\s+/u).length !== 5) return false;
  try {
    CronExpressionParser.parse(trimmed, { strict: false });
    return true;
  } catch {
    return false;
  }
}

export const CRON: StringRule = {
  allowed: 'a five-field cron expression such as "0 3 * * *", or @daily, @hourly, @weekly...',
  test: isCron,
};

function readRuntime(reader: ConfigReader, manager: Section): RuntimeSpec {
  const raw = manager.raw('runtime');
  const fallback = defaultEraserConfig().manager.runtime;
  // v1alpha1/2 wrote the runtime as a bare name; v1alpha3 as {name, address}. Accept both;
  // any other scalar is reported against the list of names.
  if (raw === undefined || typeof raw !== 'object') {
    const name: RuntimeName = manager.oneOf('runtime', fallback.name, RUNTIME_NAMES);
    return { name, address: RUNTIME_ADDRESSES[name] };
  }

  const section = manager.child('runtime', ['name', 'address']);
  if (!section.has('name')) {
    reader.fail(section.field('name'), undefined, `one of ${RUNTIME_NAMES.join(', ')}`);
  }
  const name = section.oneOf('name', fallback.name, RUNTIME_NAMES);
  const address = section.string('address', RUNTIME_ADDRESSES[name], RUNTIME_ADDRESS);
  return { name, address };
}

function readScheduling(reader: ConfigReader, manager: Section): ScheduleConfig {
  // Strict: a misspelt key here silently changes when cluster-wide jobs start.
  const keys = ['repeatInterval', 'beginImmediately', 'cron'];
  const section = manager.child('scheduling', keys, STRICT);
  const alias = manager.child('schedule', ['cron'], STRICT);
  const d = defaultEraserConfig().manager.scheduling;
  const schedule: ScheduleConfig = {
    repeatIntervalMs: section.duration('repeatInterval', d.repeatIntervalMs, 1),
    beginImmediately: section.boolean('beginImmediately', d.beginImmediately),
  };

  const where = section.has('cron') ? section : alias;
  const cron = where.has('cron') ? where.string('cron', '', CRON) : '';
  if (cron === '') return schedule;

  if (section.has('cron') && alias.has('cron')) {
    reader.fail(alias.field('cron'), alias.raw('cron'), 'unset: scheduling.cron is already set');
  }
  if (section.has('repeatInterval')) {
    const allowed = 'unset when a cron expression is set (use one or the other)';
    reader.fail(section.field('repeatInterval'), section.raw('repeatInterval'), allowed);
  }
  return { ...schedule, cron: cron.trim() };
}

function readProfile(reader: ConfigReader, manager: Section): ManagerConfig['profile'] {
  const section = manager.child('profile', ['enabled', 'port']);
  const d = defaultEraserConfig().manager.profile;
  const enabled = section.boolean('enabled', d.enabled);
  const port = section.number('port', d.port, 0, 65535, true);
  if (enabled && port === 0) {
    reader.fail(section.field('port'), 0, 'a port from 1 to 65535 when profile.enabled is true');
  }
  return { enabled, port };
}

function readImageJob(manager: Section): ManagerConfig['imageJob'] {
  // Strict: a misspelt key here silently changes how jobs are judged and kept.
  const section = manager.child('imageJob', ['successRatio', 'cleanup'], STRICT);
  const cleanup = section.child('cleanup', ['delayOnSuccess', 'delayOnFailure'], STRICT);
  const d = defaultEraserConfig().manager.imageJob;
  return {
    successRatio: section.number('successRatio', d.successRatio, 0, 1),
    cleanup: {
      delayOnSuccessMs: cleanup.duration('delayOnSuccess', d.cleanup.delayOnSuccessMs),
      delayOnFailureMs: cleanup.duration('delayOnFailure', d.cleanup.delayOnFailureMs),
    },
  };
}

function readNodeFilter(manager: Section): ManagerConfig['nodeFilter'] {
  // Strict: a misspelt key here would silently change which nodes are cleaned.
  const section = manager.child('nodeFilter', ['type', 'selectors'], STRICT);
  const d = defaultEraserConfig().manager.nodeFilter;
  return {
    type: section.oneOf('type', d.type, NODE_FILTER_TYPES),
    selectors: section.stringList('selectors', d.selectors, NODE_SELECTOR),
  };
}

function readLogLevel(manager: Section): LogLevel {
  const level = manager.string('logLevel', 'info', LOG_LEVEL);
  return isLogLevel(level) ? level : 'info';
}

/** Reads `manager` (any version: only the shape of `runtime` differs, and both are accepted). */
export function readManager(reader: ConfigReader, manager: Section): ManagerConfig {
  return {
    runtime: readRuntime(reader, manager),
    otlpEndpoint: manager.string('otlpEndpoint', '', OTLP_ENDPOINT),
    logLevel: readLogLevel(manager),
    scheduling: readScheduling(reader, manager),
    profile: readProfile(reader, manager),
    imageJob: readImageJob(manager),
    pullSecrets: manager.stringList('pullSecrets', [], OBJECT_NAME),
    priorityClassName: manager.string('priorityClassName', '', OPTIONAL_OBJECT_NAME),
    additionalPodLabels: manager.stringMap('additionalPodLabels', LABEL_KEY, LABEL_VALUE_RULE),
    nodeFilter: readNodeFilter(manager),
  };
}
