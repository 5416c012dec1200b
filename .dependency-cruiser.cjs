// Import rules, checked by `npm run lint` (depcruise over src, commands, projections, schemas and bench).
//
// Every arrow points from I/O to pure code: schemas/, commands/, projections/, src/revenue/ and src/cache/ (a bounded
// map the hot paths share) are data and pure functions, so they import each other and three libraries that are pure
// themselves (zod for shapes, decimal.js for money, uuid for v5 ids) and nothing from the I/O ring: no store, read
// model, server, connector, runner, CLI or configuration, and no Node built-ins, with one exception —
// schemas/envelope.ts takes sha-256 from node:crypto, a deterministic function of its input (no randomness, no clock,
// no I/O) that content hashes and event ids are made of. Type-only imports count: a pure module that names a port's
// type depends on the port.

/** The pure core. */
const PURE = '^(schemas|commands|projections|src/revenue|src/cache)/';

/** The I/O ring: every folder under src/ that talks to the outside world, and the wiring. */
const IO = [
  '^src/store/',
  '^src/readmodel/',
  '^src/http/',
  '^src/graphql/',
  '^src/posting/',
  '^src/runner/',
  '^src/ingest/',
  '^src/cli/',
  '^src/handling/',
  '^src/audit/',
  '^src/demo/',
  '^src/auth/',
  '^src/metrics/',
  '^src/exceptions/',
  '^src/app\\.ts$',
  '^src/config\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not import each other, directly or around a loop.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'pure-imports-no-io',
      severity: 'error',
      comment: 'schemas/, commands/, projections/ and src/revenue/ import nothing from the I/O ring.',
      from: { path: PURE },
      to: { path: IO },
    },
    {
      name: 'pure-imports-no-node-builtins',
      severity: 'error',
      comment: 'Pure code does no I/O: no Node built-ins (schemas/envelope.ts may hash, see the next rule).',
      from: { path: PURE, pathNot: '^schemas/envelope\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'envelope-only-hashes',
      severity: 'error',
      comment: 'schemas/envelope.ts takes sha-256 from node:crypto and no other built-in.',
      from: { path: '^schemas/envelope\\.ts$' },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?crypto$' },
    },
    {
      name: 'pure-imports-pure-libraries',
      severity: 'error',
      comment: 'Pure code uses zod, decimal.js and uuid, and no other package (no fastify, SQLite or store client).',
      from: { path: PURE },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'],
        pathNot: '(^|/)node_modules/(zod|decimal\\.js|uuid)/',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
