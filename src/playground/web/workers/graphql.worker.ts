// monaco-graphql's worker (validation, autocompletion, hover on the query), bundled on its own so it loads from our origin.
import 'monaco-graphql/esm/graphql.worker.js';
