// Where a request's credential comes from: the Authorization header, or — only on a WebSocket
// upgrade without one, as a browser must send it — the bearer subprotocol the console offers.
import { describe, expect, it } from 'vitest';
import { authorizationOf } from './auth.js';

const TOKEN = 'weft_abc-DEF_123';

describe('authorizationOf', () => {
  it('takes the Authorization header as is', () => {
    expect(authorizationOf({ authorization: `Bearer ${TOKEN}` })).toBe(`Bearer ${TOKEN}`);
    expect(authorizationOf({ authorization: 'Bearer mine', upgrade: 'websocket', 'sec-websocket-protocol': `weft.console, weft.bearer.${TOKEN}` })).toBe('Bearer mine');
  });

  it('reads the bearer subprotocol of a WebSocket upgrade, and of nothing else', () => {
    expect(authorizationOf({ upgrade: 'websocket', 'sec-websocket-protocol': `weft.console, weft.bearer.${TOKEN}` })).toBe(`Bearer ${TOKEN}`);
    expect(authorizationOf({ 'sec-websocket-protocol': `weft.bearer.${TOKEN}` })).toBeUndefined();
    expect(authorizationOf({ upgrade: 'websocket', 'sec-websocket-protocol': 'weft.console' })).toBeUndefined();
  });
});
