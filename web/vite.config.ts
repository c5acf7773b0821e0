// The app is built into web/dist and served by the API at / (src/http/web-app.ts). The SDK is
// bundled from its sources, so the app always speaks the schema it was built with.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@voxgraph/sdk': fileURLToPath(new URL('../sdk/src/index.ts', import.meta.url)) } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true }, '/files': 'http://localhost:4000' } },
});
