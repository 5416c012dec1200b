// Builds the console (index.html) and GraphiQL (graphiql.html) into dist/console, which the service serves at
// /console/ (src/http/console.ts). Everything either page loads is bundled here: nothing comes from a CDN.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  // React's automatic JSX runtime (react/jsx-runtime): no React import in every component.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    // ECharts, Cytoscape and GraphiQL are large; the warning would fire on every build without telling anything new.
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { index: here('index.html'), graphiql: here('graphiql.html') },
      // GraphiQL's Radix components mark themselves "use client" (a server-components hint): meaningless here.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  logLevel: 'warn',
});
