import { defineConfig } from 'vite'

// The build is embedded in the tandem binary (package web), which serves
// assets/ as immutable and everything else with revalidation. No inline
// scripts or styles: the Content-Security-Policy allows only this origin.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    // Keep every asset a file: data: URLs for small assets would be fine
    // under the CSP for images but not for fonts or scripts.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      onwarn(warning, warn) {
        // @tiptap/react marks itself "use client" for React Server
        // Components; meaningless in a client-only bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return
        warn(warning)
      },
    },
  },
  server: {
    // `npm run dev` against a running tandem on :8080.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/collab': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
})
