// action.yml is the one source of inputs and their defaults: tests take the list from it.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export const ACTION_INPUTS = (
  parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, { default?: string; required?: boolean }> }
).inputs;

/** Names of every input. */
export const INPUT_NAMES = Object.keys(ACTION_INPUTS);

/** What the runner passes for an input the workflow leaves out: action.yml's default (expressions expand elsewhere). */
export function runnerDefault(name: string): string {
  const value = ACTION_INPUTS[name].default ?? '';
  return value.includes('${{') ? '' : String(value);
}
