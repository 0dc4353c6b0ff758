// Monaco's base editor worker (diffs, links, word completion), bundled on its own so it loads from our origin.
import 'monaco-editor/esm/vs/editor/editor.worker.js';
