// A TCP proxy in front of PostgreSQL for fault tests: it forwards bytes, and can freeze chosen
// connections (nothing forwarded either way, nothing closed: a half-open connection, as after a
// network fault or a failover) or cut every connection and refuse new ones (a restart).
import { connect, createServer, type Server, type Socket } from 'node:net';

export type TcpProxy = {
  port: number;
  /** The same database through the proxy. */
  url: (databaseUrl: string) => string;
  /** Freezes the open connections whose startup packet contains `marker` (e.g. an application_name). */
  freeze: (marker: string) => number;
  /** Cuts every connection and refuses new ones for `ms`. */
  outage: (ms: number) => void;
  close: () => Promise<void>;
};

type Pair = { client: Socket; server: Socket; startup: Buffer };

export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const frozen = new Set<Pair>();
  let refuseUntil = 0;
  const srv: Server = createServer((client) => {
    if (Date.now() < refuseUntil) return client.destroy();
    const server = connect(port, host);
    const pair: Pair = { client, server, startup: Buffer.alloc(0) };
    pairs.add(pair);
    client.on('data', (b) => {
      if (pair.startup.length < 1024) pair.startup = Buffer.concat([pair.startup, b]).subarray(0, 1024);
    });
    client.pipe(server);
    server.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const own = (srv.address() as { port: number }).port;
  return {
    port: own,
    url: (u) => {
      const x = new URL(u);
      x.hostname = '127.0.0.1';
      x.port = String(own);
      x.searchParams.set('sslmode', 'disable');
      return x.toString();
    },
    freeze: (marker) => {
      let n = 0;
      for (const p of pairs) {
        if (!p.startup.includes(marker)) continue;
        p.client.unpipe(p.server);
        p.server.unpipe(p.client);
        p.client.pause();
        p.server.pause();
        pairs.delete(p); // still open, never to move again
        frozen.add(p);
        n++;
      }
      return n;
    },
    outage: (ms) => {
      refuseUntil = Date.now() + ms;
      for (const p of pairs) {
        p.client.destroy();
        p.server.destroy();
      }
    },
    close: async () => {
      for (const p of [...pairs, ...frozen]) {
        p.client.destroy();
        p.server.destroy();
      }
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}
