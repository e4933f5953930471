import { readFileSync } from 'node:fs';

/** Reads all of stdin synchronously (for `-f -`). */
export function readStdin(): string {
  return readFileSync(0, 'utf8');
}
