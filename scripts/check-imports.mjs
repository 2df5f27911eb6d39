// Checks that a built .wasm imports nothing but its own JS glue: every import must come from
// the module wasm-bindgen generated beside it (x_bg.wasm imports from "./x_bg.js"). A stray `env` import
// (a C dependency, an unresolved symbol, a std function wasm32 lacks) would make the module
// fail to load in some runtime, so the build fails here instead.
// Usage: node scripts/check-imports.mjs <file.wasm> [...]
import { readFileSync } from "node:fs";
import { basename } from "node:path";

let failed = false;
for (const file of process.argv.slice(2)) {
  // wasm-bindgen names the glue after the .wasm: x_bg.wasm imports from ./x_bg.js.
  const GLUE = `./${basename(file).replace(/\.wasm$/, ".js")}`;
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(file)));
  const stray = imports.filter((i) => i.module !== GLUE);
  if (stray.length) {
    failed = true;
    console.error(`   FAILED: ${file} imports from outside its glue:`);
    for (const i of stray) console.error(`     ${i.module}.${i.name} (${i.kind})`);
  } else {
    console.log(`   imports: ${imports.length}, all from ${GLUE}`);
  }
}
process.exit(failed ? 1 : 0);
