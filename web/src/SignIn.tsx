import type { VoxgraphClient } from '@voxgraph/sdk';
import { useState, type FormEvent } from 'react';
import { ErrorMessage } from './errors.tsx';
import { devKey, signIn } from './session.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (client: VoxgraphClient, key: string) => void }) {
  const [key, setKey] = useState(devKey);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(key.trim()), key.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <h1>voxgraph</h1>
      <p>Speech jobs — denoise, align, synthesize — submitted and watched live.</p>
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="current-password" required value={key} onChange={(e) => setKey(e.target.value)} />
        {devKey() && <p className="hint">Development mode: the server's printed key is filled in.</p>}
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorMessage error={error} />
      </form>
    </main>
  );
}
