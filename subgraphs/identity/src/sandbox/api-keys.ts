import { createHmac } from 'node:crypto';
import { BASE62, RANDOM_LENGTH, generateApiKey } from '../domain/api-keys.ts';

/** Sandbox keys that are the same on every start, so the README and tests can use them; test mode only. */
export function sandboxApiKey(name: string, pepper: string): { key: string; prefix: string } {
  const digest = createHmac('sha256', pepper).update(`sandbox-key:${name}`).digest();
  let random = '';
  for (let i = 0; random.length < RANDOM_LENGTH; i += 1) random += BASE62[digest[i % digest.length]! % 62];
  return generateApiKey(false, random);
}
