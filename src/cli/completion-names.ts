import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { findConfig } from '../config/find-config.js';
import type { CliIo } from './io.js';

/**
 * Environment and service names for shell completion, from the ports.yaml a command line
 * would use (`-f`/`--file` among its words, else $BERTH_FILE, else the nearest ports.yaml).
 * The file is read, not validated: a half-edited file still offers its names, and one that
 * cannot be read offers none. Services: those of the environment named on the line, else of
 * every environment.
 */
export function completionNames(io: CliIo, words: readonly string[]): { envs: string[]; services: string[] } {
  const file = fileNamed(words) ?? (io.env.BERTH_FILE || findConfig(io.cwd));
  if (!file) return { envs: [], services: [] };
  let environments: Record<string, { services?: Record<string, unknown> }>;
  try {
    const doc = parse(readFileSync(path.resolve(io.cwd, file), 'utf8'), { merge: true }) as { environments?: unknown } | null;
    environments = isRecord(doc?.environments) ? (doc.environments as typeof environments) : {};
  } catch {
    return { envs: [], services: [] };
  }
  const envs = Object.keys(environments);
  const named = envs.filter((name) => words.includes(name));
  const services = new Set<string>();
  for (const env of named.length ? named : envs) {
    const own = environments[env]?.services;
    if (isRecord(own)) for (const name of Object.keys(own)) services.add(name);
  }
  return { envs, services: [...services] };
}

/** YAML files in the folder, for `--file`. */
export function yamlFiles(cwd: string): string[] {
  try {
    return readdirSync(cwd).filter((name) => /\.ya?ml$/.test(name));
  } catch {
    return [];
  }
}

function fileNamed(words: readonly string[]): string | undefined {
  let file: string | undefined;
  words.forEach((word, index) => {
    if (word === '--file' || (word === '-f' && words[0] !== 'logs')) file = words[index + 1] || file;
    else if (word.startsWith('--file=')) file = word.slice('--file='.length);
  });
  return file;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
