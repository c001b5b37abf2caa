/**
 * Help texts built from the command table (`astha --help`, `astha <command> --help`), the
 * version, and "did you mean" for a mistyped command.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS, OPTION_HELP } from './commands.js';

export function globalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;
  const commands = Object.entries(COMMANDS).map(([name, spec]) => `  ${name.padEnd(width)}${spec.summary}`);
  return [
    'astha: Parquet files in object storage become Apache Iceberg tables.',
    '',
    'usage: astha <command> [options]',
    '',
    'commands:',
    ...commands,
    '',
    'options for every command:',
    ...GLOBAL_OPTIONS.map((o) => `  ${OPTION_HELP[o]}`),
    '',
    'astha <command> --help shows one command. Logs go to stderr.',
  ].join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  return [
    `usage: astha ${spec.usage}`,
    '',
    spec.summary,
    ...(spec.details ? ['', spec.details] : []),
    ...(spec.options.length > 0 ? ['', 'options:', ...spec.options.map((o) => `  ${OPTION_HELP[o]}`)] : []),
    '',
    `and ${GLOBAL_OPTIONS.map((o) => `--${o}`).join(', ')} (see astha --help)`,
  ].join('\n');
}

/** The closest command names (edit distance at most 2, or a shared prefix of 3). */
export function suggestCommands(typed: string): string[] {
  const scored = Object.keys(COMMANDS)
    .map((name) => ({ name, distance: editDistance(typed.toLowerCase(), name) }))
    .filter(
      ({ name, distance }) =>
        distance <= 2 || (typed.length >= 3 && name.startsWith(typed.toLowerCase().slice(0, 3))),
    );
  return scored.sort((a, b) => a.distance - b.distance).map((s) => s.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The package version, from the package.json above this module (sources and dist/ alike). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'astha' && manifest.version) return manifest.version;
    } catch {
      // not here; look one level up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
