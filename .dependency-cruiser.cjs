/**
 * The layout's rules (docs/development.md has the map): each folder imports only the folders below
 * it, nothing imports test/, and no import cycles. `npm test` runs them (`npm run deps`).
 *
 *   cli            every command's entry point           -> anything below
 *   tools          development tools (chaos)             -> sim, fakes, handlers, adapters, domain
 *   sandbox        the local sandbox                     -> sim, fakes, handlers, adapters, domain
 *   sim            simulator, traces, bench, tuner       -> fakes, handlers, adapters, domain
 *   fakes          the fake cloud and test doubles       -> handlers, adapters, domain
 *   infra          builders of the deployed template     -> domain
 *   assets         the asset sync engine                 -> adapters, domain
 *   handlers       Lambda entry points                   -> adapters, domain
 *   adapters       one class per outside system          -> domain
 *   domain         pure decisions, types, ports           -> nothing of ours outside domain/
 */
const below = {
  domain: [],
  adapters: ['domain'],
  handlers: ['domain', 'adapters'],
  assets: ['domain', 'adapters'],
  infra: ['domain'],
  fakes: ['domain', 'adapters', 'handlers'],
  sim: ['domain', 'adapters', 'handlers', 'fakes'],
  sandbox: ['domain', 'adapters', 'handlers', 'fakes', 'sim'],
  tools: ['domain', 'adapters', 'handlers', 'fakes', 'sim'],
};
const folders = [...Object.keys(below), 'cli'];

const layerRules = Object.entries(below).map(([folder, allowed]) => ({
  name: `${folder}-imports-only-below`,
  comment: `${folder}/ may import only ${allowed.length === 0 ? 'itself' : allowed.map((a) => `${a}/`).join(', ')}`,
  severity: 'error',
  from: { path: `^${folder}/` },
  to: { path: `^(${folders.filter((f) => f !== folder && !allowed.includes(f)).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment:
        'one concern per file: two files that import each other share a piece that belongs in one of them',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { circular: true },
    },
    {
      name: 'nothing-imports-test',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'domain-stays-pure',
      comment: 'domain/ declares ports; AWS, Lambda and middy stay in adapters/ and handlers/',
      severity: 'error',
      from: { path: '^domain/' },
      to: { path: 'node_modules/(@aws-sdk|@middy|@aws-lambda-powertools|aws-lambda)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|out|\\.serverless|\\.esbuild)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.cjs', '.js', '.json'] },
  },
};
