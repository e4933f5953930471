// Limits the API and its clients share, so a client can refuse what the server would refuse
// before sending it (a body far over the limit otherwise dies mid-upload as a broken connection).

/** The most a request body may hold (JSON, merge patch or YAML); the server answers 413 beyond it. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** "1 MiB", "21.0 MiB", "512 KiB": a byte count for messages. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${n % (1024 * 1024) === 0 ? n / (1024 * 1024) : (n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${n % 1024 === 0 ? n / 1024 : (n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** What a too-large request is told, by the server and by the client alike. */
export function tooLargeMessage(limit: number, size?: number): string {
  return `the request is too large${size !== undefined ? ` (${formatBytes(size)})` : ''}: the API takes at most ${formatBytes(limit)} per request`;
}
