import { useState, type FormEvent } from 'react';
import { WeftApiError } from '../../../src/client/index.js';
import { signIn, type Session } from '../session.js';
import { errorText } from '../format.js';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session, token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(token), token);
    } catch (err) {
      setError(err instanceof WeftApiError && err.status === 401 ? 'That token was not accepted (unknown, revoked or expired).' : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin" id="main">
      <h1>Sign in to Weft</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          autoFocus
          required
          value={token}
          aria-invalid={error ? true : undefined}
          aria-describedby="token-help token-error"
          onChange={(e) => setToken(e.target.value)}
        />
        <p id="token-help" className="muted">
          <code>weft up</code> prints an admin token on its first start; <code>weft token create</code> makes one for any user.
        </p>
        {error && <p id="token-error" className="field-error" role="alert">{error}</p>}
        <button type="submit" disabled={busy || !token.trim()}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
