import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server serves dist/ with an SPA fallback, so asset URLs must be absolute ('/assets/…')
// for pages such as /companies/:id/key-management to load them.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: process.env.REDAPP_API_URL ?? 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
});
