// The signed-in client. The key lives in sessionStorage (gone with the tab); in development the
// server puts its printed key in <meta name="voxgraph-dev-key"> so the form comes prefilled.
import { createClient, type VoxgraphClient } from '@voxgraph/sdk';
import { createContext, useContext } from 'react';

const STORAGE = 'voxgraph.apiKey';

export const devKey = () => document.querySelector<HTMLMetaElement>('meta[name="voxgraph-dev-key"]')?.content || '';
export const storedKey = () => sessionStorage.getItem(STORAGE) ?? '';
export const storeKey = (key: string | null) => (key ? sessionStorage.setItem(STORAGE, key) : sessionStorage.removeItem(STORAGE));

/** A client for the key, once the server has accepted it (throws the SDK's typed error otherwise). */
export async function signIn(apiKey: string): Promise<VoxgraphClient> {
  const client = createClient({ url: new URL('/graphql', location.href).toString(), apiKey });
  try {
    await client.queue();
    return client;
  } catch (err) {
    await client.close();
    throw err;
  }
}

export const ClientContext = createContext<VoxgraphClient | null>(null);
export function useClient(): VoxgraphClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error('useClient outside a signed-in session');
  return c;
}
