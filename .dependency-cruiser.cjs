/**
 * The project's layers, checked in `npm run lint` (dependency-cruiser). Each layer may import only
 * the layers below it, so neither files nor top-level folders can form an import cycle:
 *
 *   cells (model: topology, catalog, alarm rules, matching)      imports nothing else of the project
 *   schemas                                                       → cells
 *   consumers (core: pure logic, ports, monitoring)               → cells, schemas; no SQL driver, no AWS SDK
 *   consumers/aws (adapters: Timestream, SNS, Lambda handlers)    → the above
 *   dashboards (panels, renderers; web = browser code)            → the above (web: schemas/api only)
 *   stacks (CDK) | cells/local (local runtime)                    → the above, never each other
 *   scripts (ops CLI, benchmarks)                                 → anything but test
 */
const MODEL = '^cells/(matching/|[^/]+\\.ts$)';
const LOCAL = '^cells/local/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'files must not import each other in a ring',
      from: {},
      to: { circular: true },
    },
    {
      name: 'model-imports-nothing',
      severity: 'error',
      comment:
        'cells/*.ts and cells/matching are the model every other folder reads; they import no other folder',
      from: { path: MODEL },
      to: { path: '^(schemas|consumers|dashboards|stacks|scripts|test|cells/local)/' },
    },
    {
      name: 'schemas-above-model-only',
      severity: 'error',
      from: { path: '^schemas/' },
      to: { path: '^(consumers|dashboards|stacks|scripts|test|cells/local)/' },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'the consumers core takes plain data: adapters (consumers/aws, cells/local/storage) hold SQL drivers and SDK clients; ' +
        'it may use the pure panel definitions and rollup rules (dashboards/panels, dashboards/rollups) a store keeps at write time',
      from: { path: '^consumers/', pathNot: '^consumers/aws/' },
      to: {
        path: [
          '^(consumers/aws|stacks|scripts|test|cells/local)/',
          '^dashboards/(?!panels/|rollups/)',
          'node_modules/(better-sqlite3|@types/better-sqlite3|@aws-sdk|@electric-sql|pg)/',
        ],
      },
    },
    {
      name: 'aws-adapters-below-dashboards',
      severity: 'error',
      from: { path: '^consumers/aws/' },
      to: { path: '^(dashboards|stacks|scripts|test|cells/local)/' },
    },
    {
      name: 'dashboards-below-runtimes',
      severity: 'error',
      from: { path: '^dashboards/' },
      to: { path: '^(stacks|scripts|test|cells/local)/' },
    },
    {
      name: 'web-app-reads-the-contract-only',
      severity: 'error',
      comment:
        'the browser bundle may import the HTTP contract (types) and its own modules, nothing that needs Node',
      from: { path: '^dashboards/web/' },
      to: { path: '^(cells|consumers|dashboards/(panels|renderers)|stacks|scripts)/' },
    },
    {
      name: 'stacks-and-local-cell-are-siblings',
      severity: 'error',
      from: { path: '^stacks/' },
      to: { path: [LOCAL, '^(scripts|test)/'] },
    },
    {
      name: 'local-cell-is-not-cdk',
      severity: 'error',
      from: { path: LOCAL },
      to: { path: ['^(stacks|scripts|test)/', 'node_modules/(aws-cdk-lib|constructs)/'] },
    },
    {
      name: 'only-tests-import-tests',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(cdk.out|dist|data|test-output)/' },
    tsPreCompilationDeps: 'specify',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
