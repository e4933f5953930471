// How a browser authenticates a console WebSocket: it cannot set an Authorization header on one,
// so it offers its token as a subprotocol beside the console's own, and the server answers with
// the console's (never echoing the token). Shared by the API (which reads it) and the client.

/** The subprotocol the server selects for a console socket. */
export const CONSOLE_PROTOCOL = 'weft.console';
/** Prefix of the subprotocol that carries a bearer token (base64url, so a valid protocol name). */
export const BEARER_PROTOCOL_PREFIX = 'weft.bearer.';
