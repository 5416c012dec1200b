// Vite's client types: CSS imports (bundled into the page's stylesheet) and import.meta.env.
/// <reference types="vite/client" />
