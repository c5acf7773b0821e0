import type { VoxgraphClient } from '@voxgraph/sdk';
import { useEffect, useState } from 'react';
import { EnginesPage } from './EnginesPage.tsx';
import { JobPage } from './JobPage.tsx';
import { LiveJobs } from './LiveJobs.tsx';
import { NewJob } from './NewJob.tsx';
import { useRoute } from './route.ts';
import { ClientContext, signIn, storedKey, storeKey } from './session.ts';
import { SignIn } from './SignIn.tsx';

export function App() {
  const [client, setClient] = useState<VoxgraphClient | null>(null);
  const [restoring, setRestoring] = useState(() => Boolean(storedKey()));
  const route = useRoute();

  useEffect(() => {
    // A key kept from earlier in this tab: sign in again silently, or show the form.
    const key = storedKey();
    if (!key) return;
    signIn(key)
      .then(setClient)
      .catch(() => storeKey(null))
      .finally(() => setRestoring(false));
  }, []);

  if (restoring) return <p className="loading" role="status">Signing in…</p>;
  if (!client) {
    return (
      <SignIn
        onSignedIn={(c, key) => {
          storeKey(key);
          setClient(c);
        }}
      />
    );
  }
  const signOut = () => {
    storeKey(null);
    void client.close();
    setClient(null);
  };
  return (
    <ClientContext.Provider value={client}>
      <header className="top">
        <a className="brand" href="#/">voxgraph</a>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page === 'jobs' ? 'page' : undefined}>Jobs</a>
          <a href="#/engines" aria-current={route.page === 'engines' ? 'page' : undefined}>Engines and workers</a>
          <a href="/graphql">GraphiQL</a>
          <button type="button" className="link" onClick={signOut}>Sign out</button>
        </nav>
      </header>
      <main>
        {route.page === 'job' ? (
          <JobPage id={route.id} key={route.id} />
        ) : route.page === 'engines' ? (
          <EnginesPage />
        ) : (
          <>
            <NewJob />
            <LiveJobs />
          </>
        )}
      </main>
    </ClientContext.Provider>
  );
}
