// Monaco's JSON worker (the variables, headers and response editors), bundled on its own so it loads from our origin.
import 'monaco-editor/esm/vs/language/json/json.worker.js';
