// The layer rules of ../shared/STYLE.md, checked by `npm run check` (and so by .ci/run):
// within services/<svc>/src, transport → app → domain and app → data; domain imports nothing of its
// service's other layers, transport never reaches data, app never speaks a transport's format, data
// never calls up; shared packages never import a service. Type-only imports count: a type from another
// layer couples the layers as much as a value does.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "domain-is-pure",
      comment:
        "domain/ holds types, rules and invariants: it imports nothing from its service's app/, data/, " +
        "transport/, workers/, config.ts or main.ts, nor any I/O library.",
      severity: "error",
      from: { path: "^services/([^/]+)/src/domain/" },
      to: {
        path: [
          "^services/$1/src/(app|data|transport|workers)/",
          "^services/$1/src/(config|main)\\.ts$",
          "^packages/(db|messaging|outbox|grpc|cache)/",
          "/node_modules/(kysely|pg|kafkajs|ioredis|@grpc/grpc-js)/",
        ],
      },
    },
    {
      name: "transport-not-to-data",
      comment:
        "transport/ calls use cases (app/); it never reaches the repositories or the table types in data/.",
      severity: "error",
      from: { path: "^services/([^/]+)/src/transport/" },
      to: { path: "^services/$1/src/data/" },
    },
    {
      name: "app-not-to-transport",
      comment: "app/ is called by transport/, never the other way round.",
      severity: "error",
      from: { path: "^services/([^/]+)/src/app/" },
      to: { path: "^services/$1/src/(transport|workers)/" },
    },
    {
      name: "app-no-transport-formats",
      comment:
        "app/ never decodes a transport's format: Kafka (kafkajs, @stockroom/messaging, the event envelope) " +
        "and gRPC (@grpc/grpc-js, @stockroom/grpc) belong in transport/. Decode there, pass domain values in.",
      severity: "error",
      from: { path: "^services/[^/]+/src/app/" },
      to: {
        path: [
          "/node_modules/(kafkajs|@grpc/grpc-js)/",
          "^packages/(messaging|grpc)/",
          "^packages/proto/src/gen/stockroom/common/v1/event_envelope_pb\\.",
        ],
        // Topic names are plain constants (what an outbox row is addressed to), not a transport format.
        pathNot: "^packages/messaging/src/topics\\.ts$",
      },
    },
    {
      name: "app-no-foreign-protos",
      comment:
        "Another service's messages (its events, its gRPC answers) reach app/ decoded: app/ imports only its " +
        "own service's and the common protos (its events' payloads, written through the outbox).",
      severity: "error",
      from: { path: "^services/([^/]+)/src/app/" },
      to: {
        path: "^packages/proto/src/gen/stockroom/",
        pathNot: "^packages/proto/src/gen/stockroom/(common|$1)/",
      },
    },
    {
      name: "app-no-raw-sql",
      comment:
        "SQL lives in named repository functions in data/: app/ may name kysely's types (Transaction, Kysely) " +
        "but imports none of its values (sql, expression builders).",
      severity: "error",
      from: { path: "^services/[^/]+/src/app/" },
      to: { path: "/node_modules/kysely/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "data-not-up",
      comment:
        "data/ is called by app/: it imports nothing from app/, transport/, workers/, config.ts or main.ts.",
      severity: "error",
      from: { path: "^services/([^/]+)/src/data/" },
      to: {
        path: ["^services/$1/src/(app|transport|workers)/", "^services/$1/src/(config|main)\\.ts$"],
      },
    },
    {
      name: "config-not-to-layers",
      comment:
        "config.ts turns the environment into settings; main.ts hands them to the layers, not the reverse.",
      severity: "error",
      from: { path: "^services/([^/]+)/src/config\\.ts$" },
      to: { path: "^services/$1/src/(app|data|transport|workers)/" },
    },
    {
      name: "no-service-to-service-source",
      comment: "A service's source never imports another service's: they talk gRPC and events only.",
      severity: "error",
      from: { path: "^services/([^/]+)/src/" },
      to: { path: "^services/[^/]+/", pathNot: "^services/$1/" },
    },
    {
      name: "packages-not-to-services",
      comment: "Shared packages are used by services, never the other way round.",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: "^services/" },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that does not resolve cannot be checked against the rules above.",
      severity: "error",
      from: { path: "^(services|packages)/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Only our code: node_modules is resolved (so rules can name libraries) but not walked into, and the
    // generated protobuf code is not walked either.
    doNotFollow: { path: ["node_modules", "^packages/proto/src/gen/"] },
    exclude: { path: ["/\\.turbo/"] },
    includeOnly: { path: ["^services/", "^packages/", "node_modules"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".d.ts", ".json"],
      mainFields: ["module", "main", "types"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
