// Builds the console into dist/web, which the API server serves at `/` (src/api/console.ts).
// `npx vite --config web/vite.config.ts` serves it with hot reload, proxying the API of a
// `weft up` on the default port.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const api = process.env.WEFT_SERVER ?? 'http://127.0.0.1:7070';

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
  server: { host: '127.0.0.1', proxy: { '/api': api, '/healthz': api } },
});
