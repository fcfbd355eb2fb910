import { defineConfig } from 'vite';

// The build goes to dist/, which is committed and embedded into the binary by package ui
// (ui.go), so that `go run` needs neither npm nor a network.
export default defineConfig({
  root: '.',
  base: '/',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Stable names per library keep the committed diff readable.
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts';
          if (id.includes('node_modules/@codemirror') || id.includes('node_modules/@lezer') || id.includes('node_modules/codemirror')) return 'codemirror';
          return undefined;
        },
      },
    },
  },
  server: {
    // `npm run dev` proxies the API to a running `auditlake serve`.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
