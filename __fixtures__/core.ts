// A hand-written fake of @actions/core for ESM Jest (jest.unstable_mockModule).
import { jest } from '@jest/globals';

export const inputs: Record<string, string> = {};
export const outputs: Record<string, string> = {};
export const secrets: string[] = [];
export const log: { level: string; message: string }[] = [];
export let summaryText = '';

export const getInput = jest.fn((name: string) => inputs[name] ?? '');
export const setOutput = jest.fn((name: string, value: string) => {
  outputs[name] = value;
});
export const setFailed = jest.fn((message: string) => log.push({ level: 'error', message }));
export const setSecret = jest.fn((value: string) => secrets.push(value));
export const info = jest.fn((message: string) => log.push({ level: 'info', message }));
export const warning = jest.fn((message: string) => log.push({ level: 'warning', message }));
export const debug = jest.fn((message: string) => log.push({ level: 'debug', message }));
export const isDebug = jest.fn(() => false);
export const getIDToken = jest.fn(async (_audience: string) => 'oidc-token-value');
export const summary = {
  addRaw(text: string) {
    summaryText += text;
    return summary;
  },
  write: jest.fn(async () => summary),
};

export function resetCore(values: Record<string, string>): void {
  for (const k of Object.keys(inputs)) delete inputs[k];
  for (const k of Object.keys(outputs)) delete outputs[k];
  Object.assign(inputs, values);
  secrets.length = 0;
  log.length = 0;
  summaryText = '';
  for (const fn of [getInput, setOutput, setFailed, setSecret, info, warning, debug, getIDToken]) fn.mockClear();
}

export const errors = () => log.filter((l) => l.level === 'error').map((l) => l.message);
