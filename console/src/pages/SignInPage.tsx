import { useState } from 'preact/hooks';
import { signIn } from '../api/Session.ts';
import { ErrorMessage, errorOf } from '../components/Common.tsx';

export function SignInPage() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <main class="sign-in">
      <h1>lwm2m-hub console</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          signIn(token).then(
            () => setError(undefined),
            (failure: unknown) => {
              setError(errorOf(failure));
              setBusy(false);
            },
          );
        }}
      >
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" required value={token} onInput={(event) => setToken(event.currentTarget.value)} />
        <p class="hint">
          The first start writes an admin token to <code>data/admin.token</code>; <code>lwm2m-hub token create --role viewer</code> makes more. It is kept for this tab only.
        </p>
        <button type="submit" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
        <ErrorMessage error={error} />
      </form>
    </main>
  );
}
