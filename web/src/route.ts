// Hash routes (#/, #/jobs/<id>, #/engines): the API serves one page, whatever the path.
import { useEffect, useState } from 'react';

export type Route = { page: 'jobs' } | { page: 'job'; id: string } | { page: 'engines' };

export function parse(hash: string): Route {
  const m = /^#\/jobs\/([0-9a-f-]{36})$/i.exec(hash);
  if (m) return { page: 'job', id: m[1]! };
  if (hash === '#/engines') return { page: 'engines' };
  return { page: 'jobs' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const on = () => setRoute(parse(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
